// Connects the session's approval callback (a promise) to whichever screen is showing: the UI resolves it.
import type { ApprovalDecision, ApprovalHandler } from '../core/session-api.js';

export interface PendingApproval {
  turn: number;
  callId: string;
  code: string;
  resolve: (decision: ApprovalDecision) => void;
}

export class ApprovalBridge {
  private listener: ((pending: PendingApproval) => void) | undefined;

  /** Pass this to openSession. With no screen attached, cells run (the sandbox is the safety). */
  readonly handler: ApprovalHandler = (request) =>
    new Promise<ApprovalDecision>((resolve) => {
      const listener = this.listener;
      if (!listener) return resolve({ action: 'run' });
      let settled = false;
      listener({
        ...request,
        resolve: (d) => {
          if (settled) return;
          settled = true;
          resolve(d);
        },
      });
    });

  attach(listener: (pending: PendingApproval) => void): () => void {
    this.listener = listener;
    return () => {
      if (this.listener === listener) this.listener = undefined;
    };
  }
}
