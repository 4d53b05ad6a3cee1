// A small line terminal for the console: it understands what a shell on a pty prints (text,
// CR/LF, backspace, tabs, and the cursor moves and line erases readline uses) and drops other
// escape sequences (colours, titles, bracketed paste). Output goes in as text, never markup.

const MAX_LINES = 3000;
const ESC = "\x1b";
// CSI (ESC [ params final), OSC (ESC ] … BEL or ESC \), and two-byte escapes.
const SEQUENCE = /\x1b\[([0-?]*)[ -/]*([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()#][0-9A-Za-z]|\x1b[=>78cDEHMNOZ\\]/y;

export class Terminal {
  constructor(pre) {
    this.pre = pre;
    this.lines = [""];
    this.col = 0;
    this.carry = "";
    this.pending = false;
  }

  clear() {
    this.lines = [""];
    this.col = 0;
    this.carry = "";
    this.render();
  }

  write(text) {
    const data = this.carry + text;
    this.carry = "";
    let i = 0;
    while (i < data.length) {
      const ch = data[i];
      if (ch === ESC) {
        SEQUENCE.lastIndex = i;
        const m = SEQUENCE.exec(data);
        if (m) {
          if (m[2]) this.csi(m[1], m[2]);
          i = SEQUENCE.lastIndex;
          continue;
        }
        if (data.length - i < 64) { // an escape cut in two by the websocket: wait for the rest
          this.carry = data.slice(i);
          break;
        }
        i += 1;
        continue;
      }
      this.char(ch);
      i += 1;
    }
    this.schedule();
  }

  csi(params, final) {
    const n = Math.max(1, parseInt(params, 10) || 1);
    const line = this.lines[this.lines.length - 1];
    if (final === "K") {
      const mode = parseInt(params, 10) || 0;
      this.setLine(mode === 0 ? line.slice(0, this.col) : mode === 1 ? " ".repeat(this.col) + line.slice(this.col) : "");
    } else if (final === "C") {
      this.col += n;
    } else if (final === "D") {
      this.col = Math.max(0, this.col - n);
    } else if (final === "J" && (params === "2" || params === "3")) {
      this.lines = [""];
      this.col = 0;
    }
  }

  char(ch) {
    if (ch === "\n") {
      this.lines.push("");
      this.col = 0;
      if (this.lines.length > MAX_LINES) this.lines.splice(0, this.lines.length - MAX_LINES);
    } else if (ch === "\r") {
      this.col = 0;
    } else if (ch === "\b") {
      this.col = Math.max(0, this.col - 1);
    } else if (ch === "\t") {
      const to = (Math.floor(this.col / 8) + 1) * 8;
      while (this.col < to) this.put(" ");
    } else if (ch >= " " && ch !== "\x7f") {
      this.put(ch);
    }
  }

  put(ch) {
    const line = this.lines[this.lines.length - 1].padEnd(this.col, " ");
    this.setLine(line.slice(0, this.col) + ch + line.slice(this.col + 1));
    this.col += 1;
  }

  setLine(text) {
    this.lines[this.lines.length - 1] = text;
  }

  text() {
    return this.lines.join("\n");
  }

  // Draw at most once a frame however many messages arrive.
  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.render();
    });
  }

  render() {
    const pre = this.pre;
    const atBottom = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 40;
    pre.textContent = this.text();
    if (atBottom) pre.scrollTop = pre.scrollHeight;
  }

  // Columns and rows that fit the box, for the pty's window size.
  size() {
    const probe = document.createElement("span");
    probe.textContent = "0".repeat(20);
    this.pre.append(probe);
    const charWidth = probe.getBoundingClientRect().width / 20 || 8;
    const lineHeight = probe.getBoundingClientRect().height || 16;
    probe.remove();
    const style = getComputedStyle(this.pre);
    const inner = this.pre.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const tall = this.pre.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
    return { width: Math.max(20, Math.floor(inner / charWidth)), height: Math.max(5, Math.floor(tall / lineHeight)) };
  }
}
