// The one tool the model gets: `python`, whose only argument is the code to run in the sandbox.
import type { ChatCompletionFunctionTool } from 'openai/resources/chat/completions';

export const PYTHON_TOOL_NAME = 'python';

export const pythonTool: ChatCompletionFunctionTool = {
  type: 'function',
  function: {
    name: PYTHON_TOOL_NAME,
    description:
      'Run Python code in a stateful, Jupyter-like sandbox. Variables, imports and files persist between ' +
      'calls. The value of the last expression is shown, like a notebook cell; print() output, tracebacks ' +
      "and figures (matplotlib) are captured and returned. The working folder is /mnt/data (the user's " +
      'uploaded files are there; files written there are saved for the user). There is no network access.',
    parameters: {
      type: 'object',
      properties: {
        code: { type: 'string', description: 'The Python code to run.' },
      },
      required: ['code'],
      additionalProperties: false,
    },
  },
};
