// Display settings every component may read: colour on/off, inline images on/off.
import { createContext, useContext } from 'react';

export interface DisplaySettings {
  color: boolean;
  images: boolean;
}

export const DisplayContext = createContext<DisplaySettings>({ color: true, images: true });

export const useDisplay = (): DisplaySettings => useContext(DisplayContext);
