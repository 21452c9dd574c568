// When a prompt must stop on its own: after the most model calls allowed, or once the budget is spent — and why.
import type { ToolCall } from '../llm/types.js';

export class TurnLimits {
  private modelCalls = 0;
  private unreadable = 0;
  private repeats = 0;
  private lastCode: string | undefined;

  /**
   * @param maxModelCalls model calls one prompt may make (the `maxTurns` setting, `--max-turns`)
   * @param budgetUsd the session's spending limit, when set
   */
  constructor(
    private readonly maxModelCalls: number,
    private readonly budgetUsd?: number,
  ) {}

  /** Counts the next model call; when the prompt already made the most allowed, returns the notice that stops it instead. */
  beforeModelCall(): string | undefined {
    if (this.modelCalls >= this.maxModelCalls) {
      return `stopped after ${this.maxModelCalls} model calls (--max-turns)${this.why()}; ask to continue if needed`;
    }
    this.modelCalls++;
    return undefined;
  }

  /** Watches the replies' tool calls, so the stop can say why: unreadable code, or the same code again and again. */
  noteReply(calls: ToolCall[]): void {
    if (calls.length === 0) return;
    if (calls.every((c) => c.code === undefined)) this.unreadable++;
    else this.unreadable = 0;
    const code = calls.map((c) => c.code ?? c.arguments).join('\n');
    this.repeats = code === this.lastCode ? this.repeats + 1 : 0;
    this.lastCode = code;
  }

  /** The notice that stops the prompt when the session spent more than its budget. */
  overBudget(spentUsd: number | undefined): string | undefined {
    const spent = spentUsd ?? 0;
    if (this.budgetUsd === undefined || spent <= this.budgetUsd) return undefined;
    return `budget of $${this.budgetUsd.toFixed(4)} exceeded ($${spent.toFixed(4)} spent); stopping`;
  }

  private why(): string {
    if (this.unreadable >= 2) return `: the model's last ${this.unreadable} replies held code that could not be read; try another model or --tools text|native`;
    if (this.repeats >= 2) return `: the model sent the same code ${this.repeats + 1} times in a row`;
    return '';
  }
}
