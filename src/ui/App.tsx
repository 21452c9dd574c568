// The chat screen: transcript in <Static>, a short live area, the header bar, the prompt; keys go through here.
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { Box, Static, Text, useInput, usePaste, useStdout, useWindowSize } from 'ink';
import type { ChatSession } from '../core/session-api.js';
import { sanitize } from '../render/sanitize.js';
import { KITTY_DELETE_ALL } from '../render/graphics.js';
import type { ApprovalBridge, PendingApproval } from './approval.js';
import { runSlash, type ChatHost } from './commands.js';
import { complete } from './completion.js';
import * as ed from './editor.js';
import type { PromptHistory } from './history.js';
import { onCtrlC, onCtrlD, type InterruptState, type Phase as KeyPhase } from './interrupt.js';
import { isSlash, parseSlash } from './slash.js';
import { defaultViewOptions, initialView, phaseOf, reduceView, type ChatAction, type ChatView, type NewItem, type ViewOptions } from './transcript.js';
import { useTurn } from './hooks/useTurn.js';
import { Header } from './components/Header.js';
import { ItemView } from './components/ItemView.js';
import { LiveCode } from './components/LiveCode.js';
import { RunningCell } from './components/RunningCell.js';
import { Prompt } from './components/Prompt.js';
import { ApprovalPrompt } from './components/ApprovalPrompt.js';
import { StatusLine } from './components/StatusLine.js';
import { useDisplay } from './settings.js';
import { lastRows } from './wrap.js';
import { BuildProgress } from './components/BuildProgress.js';
import type { BuildFeed, BuildState } from './build-state.js';
import { formatDuration } from '../shared/format.js';

export interface ChatAppProps {
  session: ChatSession;
  host: ChatHost;
  approvals: ApprovalBridge;
  history: PromptHistory;
  cwd: string;
  /** Transcript of a resumed session, shown first. */
  initialItems?: NewItem[];
  initialNotice?: string;
  /** Called once when the user leaves; the caller unmounts Ink and closes the session. */
  onExit: () => void;
  viewOptions?: ViewOptions;
  /** The sandbox image being built on first use: shown above the header while the prompt already works. */
  build?: BuildFeed;
}

type Status = { text: string; tone: 'dim' | 'warn' };

export function App(props: ChatAppProps) {
  const { host, approvals, history, cwd, onExit } = props;
  const opts = props.viewOptions ?? defaultViewOptions;
  const display = useDisplay();
  const { columns, rows } = useWindowSize();
  const { write } = useStdout();
  const [session, setSession] = useState<ChatSession>(props.session);
  const sessionRef = useRef(session);
  sessionRef.current = session;

  const [view, dispatch] = useReducer(
    (v: ChatView, a: ChatAction) => reduceView(v, a, opts),
    undefined,
    () => {
      let v = initialView({ model: session.model, sandbox: session.sandboxState, outDir: session.outDir, sessionId: session.id });
      for (const item of props.initialItems ?? []) v = reduceView(v, { type: 'add', item }, opts);
      if (props.initialNotice) v = reduceView(v, { type: 'add', item: { kind: 'notice', level: 'info', text: props.initialNotice } }, opts);
      return v;
    },
  );
  const [draft, setDraft] = useState<ed.Draft>(ed.emptyDraft);
  const [status, setStatus] = useState<Status>({ text: 'Type a request, /help for commands', tone: 'dim' });
  const [approval, setApproval] = useState<PendingApproval | undefined>();
  const [editingApproval, setEditingApproval] = useState(false);
  const [commandRunning, setCommandRunning] = useState(false);
  const [interrupting, setInterrupting] = useState(false);
  const [queued, setQueued] = useState<string | undefined>();
  const interruptState = useRef<InterruptState>({});
  const exited = useRef(false);

  const size = useRef({ columns, rows });
  size.current = { columns, rows };
  const readSize = useCallback(() => size.current, []);
  const turn = useTurn({ dispatch, display, size: readSize });

  useEffect(() => approvals.attach((p) => setApproval(p)), [approvals]);

  const [build, setBuild] = useState<BuildState | undefined>(() => props.build?.current());
  useEffect(() => props.build?.subscribe(setBuild), [props.build]);
  const buildDone = build?.done;
  const buildFailed = build?.failed;
  useEffect(() => {
    if (buildDone?.built)
      dispatch({ type: 'add', item: { kind: 'notice', level: 'info', text: `sandbox image ${buildDone.ref} built in ${formatDuration(buildDone.ms)}` } });
  }, [buildDone]);
  useEffect(() => {
    if (buildFailed)
      dispatch({ type: 'add', item: { kind: 'error', message: `the sandbox image could not be built: ${buildFailed.message}`, fix: buildFailed.fix } });
  }, [buildFailed]);
  // The chat passes a feed whenever the image may need building; it shows only once a build really starts.
  const building = build !== undefined && (build.phase !== undefined || build.step !== undefined || build.line !== undefined) && !build.done && !build.failed;

  // The sandbox starts in the background before the first turn, and restarts or dies between turns: the
  // header follows its state changes as they happen. A session opened after the image build gets its id
  // late; it arrives with the state the opened session reports at once.
  useEffect(() => {
    let shown = { sandbox: session.sandboxState, sessionId: session.id };
    const sync = (): void => {
      const now = { sandbox: session.sandboxState, sessionId: session.id };
      if (now.sandbox === shown.sandbox && now.sessionId === shown.sessionId) return;
      shown = now;
      dispatch({ type: 'header', header: now });
    };
    const off = session.onSandboxState(sync);
    sync();
    return off;
  }, [session]);

  const staticItems = usePacedItems(view.items, view.epoch);

  const phase = phaseOf(view);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new cell (its call id) also ends the interrupting state
  useEffect(() => {
    if (phase !== 'running') setInterrupting(false);
  }, [phase, view.live.cell?.callId]);

  const say = useCallback((lines: string[]) => dispatch({ type: 'add', item: { kind: 'info', lines } }), []);

  const exit = useCallback(() => {
    if (exited.current) return;
    exited.current = true;
    turn.detach();
    approval?.resolve({ action: 'skip' });
    onExit();
  }, [turn, approval, onExit]);

  const resolveApproval = useCallback(
    (decision: Parameters<PendingApproval['resolve']>[0]) => {
      approval?.resolve(decision);
      setApproval(undefined);
      setEditingApproval(false);
    },
    [approval],
  );

  const submit = useCallback(
    (text: string) => {
      if (!text.trim()) return;
      if (phase !== 'idle' || commandRunning) {
        // Typed ahead: send it as soon as the current turn ends (Ctrl-C at the prompt drops it).
        setQueued(text);
        setDraft(ed.emptyDraft);
        setStatus({ text: `queued: ${text.split('\n')[0]}`, tone: 'dim' });
        return;
      }
      history.add(text);
      setDraft(ed.emptyDraft);
      setStatus({ text: '', tone: 'dim' });
      interruptState.current = {};
      if (isSlash(text)) {
        const parsed = parseSlash(text);
        dispatch({ type: 'add', item: { kind: 'user', text: text.trim() } });
        if (!parsed.ok) {
          dispatch({ type: 'add', item: { kind: 'notice', level: 'warn', text: parsed.message } });
          return;
        }
        setCommandRunning(true);
        void runSlash(parsed.command, {
          session: sessionRef.current,
          host,
          cwd,
          say,
          warn: (t) => dispatch({ type: 'add', item: { kind: 'notice', level: 'warn', text: t } }),
          fail: (message, fix) => dispatch({ type: 'add', item: { kind: 'error', message, fix } }),
          clear: () => {
            // Erase the screen and scrollback; <Static> starts over with a new key.
            write('\x1b[2J\x1b[3J\x1b[H' + (display.images && display.graphics?.protocol === 'kitty' ? KITTY_DELETE_ALL : ''));
            dispatch({ type: 'clear' });
          },
          exit,
          replaceSession: (next, items, notice) => {
            const old = sessionRef.current;
            turn.detach();
            sessionRef.current = next;
            setSession(next);
            dispatch({ type: 'header', header: { model: next.model, sandbox: next.sandboxState, outDir: next.outDir, sessionId: next.id } });
            for (const item of items) dispatch({ type: 'add', item });
            if (notice) dispatch({ type: 'add', item: { kind: 'notice', level: 'info', text: notice } });
            void old.close().catch(() => undefined);
          },
          modelChanged: (model) => dispatch({ type: 'header', header: { model } }),
        }).finally(() => setCommandRunning(false));
        return;
      }
      const prompt = text.startsWith('//') ? text.slice(1) : text;
      void turn.run(sessionRef.current, prompt);
    },
    [phase, commandRunning, history, host, cwd, say, write, exit, turn, display],
  );

  useEffect(() => {
    if (queued === undefined || phase !== 'idle' || commandRunning || approval) return;
    setQueued(undefined);
    submit(queued);
  }, [queued, phase, commandRunning, approval, submit]);

  const keyPhase: KeyPhase = approval ? 'approval' : commandRunning ? 'streaming' : phase;

  const handleCtrlC = (): void => {
    const r = onCtrlC(interruptState.current, { phase: keyPhase, inputEmpty: draft.text.length === 0, now: Date.now(), cell: view.live.cell?.callId });
    interruptState.current = r.state;
    const s = sessionRef.current;
    switch (r.action) {
      case 'cancel_turn':
        setQueued(undefined);
        if (approval) resolveApproval({ action: 'skip' });
        if (turn.cancel()) setStatus({ text: 'cancelling…', tone: 'warn' });
        return;
      case 'interrupt_cell':
        setInterrupting(true);
        setStatus({ text: 'interrupting the cell (variables are kept)…', tone: 'warn' });
        void s.interrupt().catch(() => undefined);
        return;
      case 'restart_kernel':
        setStatus({ text: 'restarting the kernel: variables will be lost', tone: 'warn' });
        void s.restartKernel().catch((err: Error) => dispatch({ type: 'add', item: { kind: 'error', message: err.message } }));
        return;
      case 'clear_input':
        setDraft(ed.emptyDraft);
        return;
      case 'arm_exit':
        setStatus({ text: 'press Ctrl-C again to exit (or Ctrl-D)', tone: 'warn' });
        return;
      case 'exit':
        exit();
        return;
      case 'none':
        return;
    }
  };

  useInput((input, key) => {
    if (key.ctrl && input === 'c') return handleCtrlC();
    if (key.ctrl && input === 'd') {
      if (onCtrlD({ phase: keyPhase, inputEmpty: draft.text.length === 0 }) === 'exit') exit();
      else if (draft.text) setDraft(ed.deleteForward(draft));
      return;
    }
    if (approval && !editingApproval) {
      const k = input.toLowerCase();
      if (k === 'y' || key.return) resolveApproval({ action: 'run' });
      else if (k === 'n' || key.escape) resolveApproval({ action: 'skip' });
      else if (k === 'e') {
        setEditingApproval(true);
        setDraft(ed.atEnd(approval.code.replace(/\n$/, '')));
      }
      return;
    }
    if (approval && editingApproval) {
      if (key.escape) {
        setEditingApproval(false);
        setDraft(ed.emptyDraft);
        return;
      }
      if (key.return && !key.meta) {
        resolveApproval({ action: 'edit', code: draft.text + '\n' });
        setDraft(ed.emptyDraft);
        return;
      }
    }
    // Fast typing can arrive as one chunk with Enter at its end ("hello\r"): type it, then submit.
    if (input.length > 1 && input.endsWith('\r') && !approval) {
      const typed = ed.insert(draft, input.slice(0, -1));
      setDraft(typed);
      return submit(typed.text);
    }
    if (key.return && key.meta) return setDraft(ed.insert(draft, '\n'));
    if (key.return) return submit(draft.text);
    if (input === '\n') return setDraft(ed.insert(draft, '\n'));
    if (key.tab) {
      const c = complete(draft.text, draft.cursor, cwd);
      if (!c) return;
      const next = { text: draft.text.slice(0, c.start) + c.replacement + draft.text.slice(draft.cursor), cursor: c.start + c.replacement.length };
      setDraft(next);
      setStatus({ text: c.candidates.length > 1 ? c.candidates.join('  ') : '', tone: 'dim' });
      return;
    }
    if (key.backspace) return setDraft(ed.backspace(draft));
    if (key.delete) return setDraft(ed.deleteForward(draft));
    if (key.leftArrow) return setDraft(ed.left(draft));
    if (key.rightArrow) return setDraft(ed.right(draft));
    if (key.home || (key.ctrl && input === 'a')) return setDraft(ed.home(draft));
    if (key.end || (key.ctrl && input === 'e')) return setDraft(ed.end(draft));
    if (key.ctrl && input === 'u') return setDraft(ed.killBefore(draft));
    if (key.ctrl && input === 'k') return setDraft(ed.killAfter(draft));
    if (key.ctrl && input === 'w') return setDraft(ed.killWord(draft));
    if (key.upArrow) {
      const moved = ed.up(draft);
      if (moved) return setDraft(moved);
      const prev = approval ? null : history.previous(draft.text);
      if (prev !== null) setDraft(ed.atEnd(prev));
      return;
    }
    if (key.downArrow) {
      const moved = ed.down(draft);
      if (moved) return setDraft(moved);
      const next = approval ? null : history.next();
      if (next !== null) setDraft(ed.atEnd(next));
      return;
    }
    if (key.ctrl || key.meta || key.escape || !input) return;
    if (status.tone === 'warn' && phase === 'idle') setStatus({ text: '', tone: 'dim' });
    interruptState.current = {};
    setDraft(ed.insert(draft, input));
  });

  usePaste((text) => {
    if (approval && !editingApproval) return;
    setDraft((d) => ed.insert(d, text));
  });

  // The live area must stay shorter than the terminal, or Ink repaints the whole screen every frame.
  const budget = Math.max(4, rows - 8 - (building ? 4 : 0) - Math.min(draft.text.split('\n').length, Math.max(3, Math.floor(rows / 3))));
  const cell = view.live.cell;
  const cellRows = cell ? opts.tailLines + 1 : 0;
  const width = Math.max(20, columns);
  const liveText = view.live.text ? lastRows(sanitize(view.live.text), width, Math.max(2, budget - cellRows - 2)) : '';
  const onRevealed = useCallback((callId: string) => dispatch({ type: 'code_revealed', callId }), []);

  return (
    <Box flexDirection="column" width={width}>
      <Static key={view.epoch} items={staticItems}>
        {(item) => (
          <Box key={item.id} width={width}>
            <ItemView item={item} width={width} sessionId={view.header.sessionId} />
          </Box>
        )}
      </Static>
      {view.live.reasoning ? (
        <Text dimColor italic>
          {lastRows(sanitize(view.live.reasoning.trim() || 'thinking…'), width, 3)}
        </Text>
      ) : null}
      {liveText ? (
        <Box marginTop={1}>
          <Text>{liveText}</Text>
        </Box>
      ) : null}
      {view.live.code ? (
        <LiveCode
          key={view.live.code.callId}
          callId={view.live.code.callId}
          code={view.live.code.text}
          done={view.live.code.done}
          maxLines={Math.max(3, budget - cellRows - 2)}
          onRevealed={onRevealed}
        />
      ) : null}
      {cell ? <RunningCell startedAt={cell.startedAt} tail={cell.tail} partial={cell.partial} maxLines={opts.tailLines} interrupting={interrupting} /> : null}
      {phase === 'streaming' && !view.live.text && !view.live.code && !approval ? <Text dimColor>…</Text> : null}
      {building ? <BuildProgress state={build} width={width} /> : null}
      <Box marginTop={1}>
        <Header header={view.header} />
      </Box>
      {approval ? <ApprovalPrompt editing={editingApproval} /> : null}
      {!approval || editingApproval ? (
        <Prompt draft={draft} active={phase === 'idle' || editingApproval} label={editingApproval ? '✎ ' : '› '} maxLines={Math.max(3, Math.floor(rows / 3))} />
      ) : null}
      <StatusLine text={status.text} tone={status.tone} />
    </Box>
  );
}

/** Items <Static> takes per frame while it catches up with a backlog (a resumed transcript). */
const STATIC_BATCH = 10;

/**
 * The transcript as <Static> should draw it: everything new at once, except that a long backlog is handed
 * over a batch per frame. Drawn in one frame, 500 items built some 30 MB of layout that outlived the young
 * generation and stayed in the process as garbage; a batch's layout dies young. Items keep their order:
 * <Static> only ever gets a longer prefix of the same list.
 */
function usePacedItems<T>(items: T[], epoch: number): T[] {
  const handed = useRef({ epoch, count: 0 });
  if (handed.current.epoch !== epoch) handed.current = { epoch, count: 0 };
  const shown = Math.min(items.length, handed.current.count + STATIC_BATCH);
  handed.current.count = shown;
  const [, nextBatch] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    if (shown >= items.length) return;
    const t = setTimeout(nextBatch, 0);
    return () => clearTimeout(t);
  }, [shown, items.length]);
  return shown === items.length ? items : items.slice(0, shown);
}
