/** What the coding-agent CLI said: its messages, tool calls with arguments and results, errors, the result. */
import type { Transcript, TranscriptEntry } from '../../types';

/** JSON arguments and results indented for reading; other text as it is. */
function pretty(text: string): string {
  const t = text.trim();
  if (!t.startsWith('{') && !t.startsWith('[')) return text;
  try {
    return JSON.stringify(JSON.parse(t), null, 2);
  } catch {
    return text;
  }
}

function Entry({ e }: { e: TranscriptEntry }) {
  switch (e.kind) {
    case 'run':
      return <div className="tr-run">▶ {e.text}</div>;
    case 'session':
      return <div className="tr-note muted">{e.text}</div>;
    case 'text':
      return <div className="tr-output mono">{e.text}</div>;
    case 'assistant':
    case 'user':
      return (
        <div className={`tr-message ${e.kind}`}>
          <span className="tr-who">{e.kind === 'user' ? 'user' : (e.cli ?? 'agent')}</span>
          <div className="tr-text">{e.text}</div>
        </div>
      );
    case 'tool_call':
      return (
        <div className="tr-tool" data-testid="transcript-tool-call">
          <span className="tr-tool-name">⚙ {e.tool}</span>
          {e.args && <pre className="tr-args">{pretty(e.args)}</pre>}
        </div>
      );
    case 'tool_result':
      return (
        <div className={`tr-result ${e.ok === false ? 'failed' : ''}`} data-testid="transcript-tool-result">
          <span className="muted">{e.ok === false ? '✗ tool error' : '✓ result'}</span>
          {e.output && <pre className="tr-args">{pretty(e.output)}</pre>}
        </div>
      );
    case 'file_change':
      return <div className="tr-note">✎ {e.text}</div>;
    case 'error':
      return <div className="tr-error error">error: {e.text}</div>;
    case 'result':
      return (
        <div className={`tr-final ${e.ok ? '' : 'failed'}`}>
          <b>{e.ok ? 'Finished' : 'Ended with an error'}</b>
          {e.text && <div className="tr-text">{e.text}</div>}
        </div>
      );
  }
}

export function TranscriptView({ transcript }: { transcript: Transcript }) {
  if (transcript.entries.length === 0)
    return (
      <p className="muted" data-testid="transcript-empty">
        No coding-agent transcript in this attempt's log ({transcript.logBytes} bytes).
      </p>
    );
  return (
    <div className="transcript" data-testid="transcript">
      {transcript.truncated && <p className="warn">Only the end of a long log was read.</p>}
      {transcript.entries.map((e, i) => (
        <Entry key={i} e={e} />
      ))}
    </div>
  );
}
