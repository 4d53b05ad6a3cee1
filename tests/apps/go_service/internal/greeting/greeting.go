// Package greeting holds the page's text (a code-only commit changes it).
package greeting

// Text is the page's heading.
const Text = "Hello from Go"
