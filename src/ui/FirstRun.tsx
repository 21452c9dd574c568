// The chat's first-run screen: paste an API key (hidden), pick a model server found on this machine, or quit.
import { useState } from 'react';
import { Box, Text, useInput, usePaste } from 'ink';

export interface OfferedServer {
  /** "Ollama" */
  label: string;
  baseURL: string;
  models: string[];
  /** The model codecell would pick, and why. */
  suggested?: { model: string; reason: string };
}

export type FirstRunChoice = { kind: 'key'; apiKey: string } | { kind: 'local'; baseURL: string; model: string } | { kind: 'quit' };

export interface FirstRunProps {
  servers: OfferedServer[];
  /** Where a choice is saved, shown so the user knows. */
  configPath: string;
  /** The ports that were probed, for the line that says none answered. */
  probed: string;
  onDone: (choice: FirstRunChoice) => void;
}

type View = { name: 'menu' } | { name: 'key' } | { name: 'models'; server: OfferedServer };

/** The models of a server with the suggested one first. */
function ordered(server: OfferedServer): string[] {
  const first = server.suggested?.model;
  return first ? [first, ...server.models.filter((m) => m !== first)] : server.models;
}

/** A short mask that shows the key's length without any of its characters. */
function mask(length: number): string {
  return length === 0 ? '' : `${'•'.repeat(Math.min(length, 24))}${length > 24 ? '…' : ''}  (${length} characters)`;
}

export function FirstRun({ servers, configPath, probed, onDone }: FirstRunProps) {
  const [view, setView] = useState<View>({ name: 'menu' });
  const [cursor, setCursor] = useState(0);
  const [key, setKey] = useState('');
  const [note, setNote] = useState('');

  const menu = [
    { label: 'Paste an OpenAI API key', hint: `saved to ${configPath}, readable only by you` },
    ...servers.map((s) => ({
      label: `Use ${s.label} at ${s.baseURL}`,
      hint: s.suggested ? `${s.models.length} model${s.models.length === 1 ? '' : 's'}; ${s.suggested.model} suggested` : `${s.models.length} models`,
    })),
    { label: 'Quit', hint: 'and see the commands to set it up by hand' },
  ];
  const models = view.name === 'models' ? ordered(view.server) : [];
  const count = view.name === 'menu' ? menu.length : models.length;

  const choose = (index: number): void => {
    if (view.name === 'menu') {
      if (index === 0) {
        setView({ name: 'key' });
        setNote('');
      } else if (index === menu.length - 1) {
        onDone({ kind: 'quit' });
      } else {
        const server = servers[index - 1]!;
        setView({ name: 'models', server });
        setCursor(0);
      }
    } else if (view.name === 'models') {
      onDone({ kind: 'local', baseURL: view.server.baseURL, model: models[index]! });
    }
  };

  const back = (): void => {
    setView({ name: 'menu' });
    setCursor(0);
    setKey('');
    setNote('');
  };

  const addToKey = (text: string): void => {
    // A pasted key often carries a newline or spaces around it; keys never contain whitespace.
    setKey((k) => k + text.replace(/\s+/g, ''));
    setNote('');
  };

  useInput((input, k) => {
    if (k.ctrl && (input === 'c' || input === 'd')) return onDone({ kind: 'quit' });
    if (view.name === 'key') {
      if (k.escape) return back();
      if (k.return) {
        if (key.length < 8) return setNote('That is too short for an API key; paste the whole key (Esc goes back).');
        return onDone({ kind: 'key', apiKey: key });
      }
      if (k.backspace || k.delete) return setKey((s) => s.slice(0, -1));
      if (k.ctrl && input === 'u') return setKey('');
      if (input && !k.ctrl && !k.meta) addToKey(input);
      return;
    }
    if (k.escape) return view.name === 'menu' ? onDone({ kind: 'quit' }) : back();
    if (k.upArrow) return setCursor((c) => (c + count - 1) % count);
    if (k.downArrow || k.tab) return setCursor((c) => (c + 1) % count);
    if (k.return) return choose(cursor);
    if (view.name === 'menu' && input === 'q') return onDone({ kind: 'quit' });
    const n = Number(input);
    if (Number.isInteger(n) && n >= 1 && n <= count) return choose(n - 1);
  });

  usePaste((text) => {
    if (view.name === 'key') addToKey(text);
  });

  return (
    <Box flexDirection="column" paddingY={1}>
      <Text>
        <Text bold>codecell</Text>
        <Text dimColor> · first run</Text>
      </Text>
      <Box marginTop={1}>
        <Text wrap="wrap">No model is set up yet: codecell needs an OpenAI API key, or a model server on this machine.</Text>
      </Box>
      {view.name === 'menu' ? (
        <Box flexDirection="column" marginTop={1}>
          {menu.map((item, i) => (
            <Text key={i} wrap="truncate-end">
              <Text color="cyan">{i === cursor ? '› ' : '  '}</Text>
              <Text bold={i === cursor}>{`${i + 1}  ${item.label}`}</Text>
              <Text dimColor>{`  ${item.hint}`}</Text>
            </Text>
          ))}
          {servers.length === 0 ? <Text dimColor>{`(no model server with a model answered on this machine; probed ${probed})`}</Text> : null}
          <Box marginTop={1}>
            <Text dimColor>↑/↓ choose · Enter select · q quit</Text>
          </Box>
        </Box>
      ) : null}
      {view.name === 'key' ? (
        <Box flexDirection="column" marginTop={1}>
          <Text>Paste your OpenAI API key. It is not shown; Enter saves it, Esc goes back.</Text>
          <Text>
            <Text color="cyan" bold>
              {'key › '}
            </Text>
            <Text>{mask(key.length)}</Text>
            <Text inverse> </Text>
          </Text>
          {note ? <Text color="yellow">{note}</Text> : null}
        </Box>
      ) : null}
      {view.name === 'models' ? (
        <Box flexDirection="column" marginTop={1}>
          <Text>{`${view.server.label} at ${view.server.baseURL}: choose a model`}</Text>
          {models.map((m, i) => (
            <Text key={m} wrap="truncate-end">
              <Text color="cyan">{i === cursor ? '› ' : '  '}</Text>
              <Text bold={i === cursor}>{m}</Text>
              {view.server.suggested?.model === m ? <Text dimColor>{`  suggested: ${view.server.suggested.reason}`}</Text> : null}
            </Text>
          ))}
          <Box marginTop={1}>
            <Text dimColor>↑/↓ choose · Enter use it (saved to {configPath}) · Esc back</Text>
          </Box>
        </Box>
      ) : null}
    </Box>
  );
}
