/** The reference app's data: a few notes per user, in memory. */
export interface Note {
  id: number;
  owner: string;
  text: string;
}

export class NoteBook {
  #notes: Note[] = [];
  #next = 1;

  /** A user's notes, creating a welcome note on first use. */
  of(owner: string): Note[] {
    if (!this.#notes.some((note) => note.owner === owner)) {
      this.add(owner, 'Welcome! This note came from the protected /api/notes endpoint.');
      this.add(owner, 'Your access token was checked by the Gatehouse resource guard.');
    }
    return this.#notes.filter((note) => note.owner === owner);
  }

  all(): Note[] {
    return [...this.#notes];
  }

  add(owner: string, text: string): Note {
    const note = { id: this.#next++, owner, text };
    this.#notes.push(note);
    return note;
  }
}
