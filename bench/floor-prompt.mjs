// The floor for the chat's launch: the least an Ink program does to draw a one-line prompt (ink and react
// from node_modules, no bundle). bench/launch.ts times it against codecell in the same run. Ctrl-D exits.
import React from 'react';
import { render, Text, useApp, useInput } from 'ink';

function Prompt() {
  const { exit } = useApp();
  useInput((input, key) => {
    if (key.ctrl && input === 'd') exit();
  });
  return React.createElement(Text, null, 'floor › type here');
}

render(React.createElement(Prompt), { exitOnCtrlC: true });
