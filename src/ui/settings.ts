// Display settings every component may read: colour on/off, inline images on/off and how they are drawn.
import { createContext, useContext } from 'react';
import type { GraphicsProtocol } from '../render/graphics.js';
import type { CellSize } from '../render/image-fit.js';

/** How the chat draws pictures when it has a graphics protocol (without one: half-blocks). */
export interface GraphicsTarget {
  protocol?: GraphicsProtocol;
  /** The cell size in pixels, only when the terminal reported it. */
  cell?: CellSize;
  tmux?: boolean;
  /** Said once, before the first picture (e.g. why half-blocks inside tmux). */
  note?: string;
}

export interface DisplaySettings {
  color: boolean;
  images: boolean;
  graphics?: GraphicsTarget;
}

export const DisplayContext = createContext<DisplaySettings>({ color: true, images: true });

export const useDisplay = (): DisplaySettings => useContext(DisplayContext);
