export const greeting = "Hello from a React-style build";
