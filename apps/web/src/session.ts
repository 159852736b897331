/*
 * The signed-in API key lives in sessionStorage only: gone when the tab closes, never put in a URL,
 * never logged. Nothing else of the session is stored; who the key is comes from auth.whoami.
 */
const STORAGE_KEY = 'aihub.apiKey';

export function storedKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function storeKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(STORAGE_KEY);
  else sessionStorage.setItem(STORAGE_KEY, key);
}
