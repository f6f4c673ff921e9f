/**
 * An attempt's diff: the files changed with lines added and removed, then the unified diff
 * rendered by diff2html (line by line, word-level changes) with syntax highlighting (highlight.js,
 * the languages diff2html's slim bundle carries).
 */
import 'diff2html/bundles/css/diff2html.min.css';
import 'highlight.js/styles/github.css';
import { Diff2HtmlUI } from 'diff2html/lib-esm/ui/js/diff2html-ui-slim';
import { useEffect, useRef } from 'react';
import type { AttemptDiff } from '../../types';

export function DiffView({ diff }: { diff: AttemptDiff }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!ref.current) return;
    const ui = new Diff2HtmlUI(ref.current, diff.diff, { drawFileList: false, matching: 'words', outputFormat: 'line-by-line', highlight: true, synchronisedScroll: false });
    ui.draw();
    ui.highlightCode();
  }, [diff.diff]);
  const added = diff.files.reduce((n, f) => n + (f.additions ?? 0), 0);
  const removed = diff.files.reduce((n, f) => n + (f.deletions ?? 0), 0);
  return (
    <div data-testid="diff-view">
      <p className="muted mono">
        {diff.base.slice(0, 10)}..{diff.ref} in {diff.repoRoot}
      </p>
      <table className="grid compact" data-testid="diff-files">
        <thead>
          <tr>
            <th>File ({diff.files.length})</th>
            <th className="num">+{added}</th>
            <th className="num">−{removed}</th>
          </tr>
        </thead>
        <tbody>
          {diff.files.map((f) => (
            <tr key={f.path} data-testid={`diff-file-${f.path}`}>
              <td className="mono">{f.oldPath ? `${f.oldPath} → ${f.path}` : f.path}</td>
              <td className="num added">{f.additions === null ? 'binary' : `+${f.additions}`}</td>
              <td className="num removed">{f.deletions === null ? '' : `−${f.deletions}`}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {diff.truncated && (
        <p className="warn" data-testid="diff-truncated">
          The diff is {Math.round(diff.bytes / 1024)} KiB: only its first part is shown (git diff {diff.base.slice(0, 10)} {diff.ref} in the repository has all of it).
        </p>
      )}
      <div className="diff-body" ref={ref} />
    </div>
  );
}
