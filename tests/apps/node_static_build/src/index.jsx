import { render } from "preact";
import { useState } from "preact/hooks";
import { greeting } from "./greeting.js";

function App() {
  const [count, setCount] = useState(0);
  return (
    <main>
      <h1>{greeting}</h1>
      <button onClick={() => setCount(count + 1)}>clicked {count} times</button>
    </main>
  );
}

render(<App />, document.getElementById("root"));
