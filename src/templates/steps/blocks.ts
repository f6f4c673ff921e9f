/**
 * Files inside a text answer: fenced code blocks named by their info string
 * (```` ```sh scaffold.sh ````, ```` ```bash title="scaffold.sh" ````), or, failing that, the one
 * shell block whose first lines name the file (`# scaffold.sh`). Pure functions.
 */

export interface FencedBlock {
  /** The info string after the opening fence. */
  info: string;
  content: string;
}

/** Every fenced code block (``` or ~~~, three or more), in order. An unclosed block runs to the end. */
export function fencedBlocks(text: string): FencedBlock[] {
  const lines = text.split(/\r?\n/);
  const out: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(lines[i]!);
    if (!open || (open[1]![0] === '`' && open[2]!.includes('`'))) continue;
    const fence = open[1]!;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(lines[j]!);
      if (close && close[1]![0] === fence[0] && close[1]!.length >= fence.length) break;
      body.push(lines[j]!);
    }
    out.push({ info: open[2]!.trim(), content: body.length ? `${body.join('\n')}\n` : '' });
    i = j;
  }
  return out;
}

function infoNames(info: string): string[] {
  const names: string[] = [];
  for (const token of info.split(/\s+/)) {
    const kv = /^(?:title|file|filename|path)=["']?([^"']+)["']?$/.exec(token);
    names.push((kv ? kv[1]! : token).replace(/^["']|["']$/g, ''));
  }
  return names;
}

const SHELL_INFOS = new Set(['sh', 'bash', 'shell', 'zsh', '']);

/**
 * The content of the block holding `file` (a path like `scaffold.sh`), or null. A block whose info
 * string names the file wins (the last one, when an answer revises itself); otherwise a shell
 * block whose first three lines mention the file name.
 */
export function blockForFile(text: string, file: string): string | null {
  const base = file.split('/').pop()!;
  const blocks = fencedBlocks(text);
  const named = blocks.filter((b) => infoNames(b.info).some((n) => n === file || n === base));
  if (named.length) return named[named.length - 1]!.content;
  const mentioned = blocks.filter((b) => SHELL_INFOS.has(b.info.split(/\s+/)[0]!.toLowerCase()) && b.content.split('\n').slice(0, 3).some((l) => l.includes(base)));
  return mentioned.length ? mentioned[mentioned.length - 1]!.content : null;
}

/**
 * A text answer that is one document wrapped whole in a fence (```` ```markdown … ``` ````) is
 * unwrapped; anything else is returned as is.
 */
export function unwrapDocument(text: string): string {
  const m = /^\s*(`{3,}|~{3,})(?:markdown|md)?\s*\r?\n([\s\S]*?)\r?\n\1\s*$/.exec(text);
  return m ? `${m[2]}\n` : text.endsWith('\n') ? text : `${text}\n`;
}
