// Incremental splitter of CSV text into records of fields (RFC 4180 for the common case).
// Text is pushed in chunks of any size, so a file can be streamed through it; each complete
// record is handed to a callback and then forgotten.
//
// Rules:
// - Fields are separated by the delimiter; records end at LF, CRLF or a lone CR.
// - A field that starts with a double quote is quoted: it ends at the next lone quote, may hold
//   delimiters and line breaks, and "" inside it stands for one quote. After the closing quote
//   only a delimiter or a line break may follow.
// - A quote inside an unquoted field is kept as an ordinary character.
// - A byte-order mark (U+FEFF) at the very start is skipped.
// - Empty lines between records are skipped; a missing line break after the last record is fine.

import { FormatError } from '../errors';

/** Receives one record: its fields (valid only during the call) and the 1-based line it starts on. */
export type CsvRecordHandler = (fields: string[], line: number) => void;

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const BOM = 0xfeff;

const enum State {
  /** Before the first character of a record (also skipping blank lines). */
  RecordStart,
  /** A record just ended with CR; an LF right after it belongs to the same line break. */
  AfterCr,
  /** At the first character of a field after a delimiter. */
  FieldStart,
  /** Inside an unquoted field. */
  Unquoted,
  /** Inside a quoted field. */
  Quoted,
  /** Just after a quote inside a quoted field: either the closing quote or the first half of "". */
  QuoteInQuoted,
}

/** Splits CSV text, pushed chunk by chunk, into records. */
export class CsvRecordSplitter {
  private state = State.RecordStart;
  private fields: string[] = [];
  /** Text of the field in progress (pieces from earlier chunks, or unescaped quoted text). */
  private field = '';
  private line = 1;
  private recordLine = 1;
  private quoteLine = 1;
  private atStart = true;
  /** A quoted field's text chunk ended with CR: the break is counted once the next character is known. */
  private pendingCr = false;
  private readonly delimiter: number;

  /**
   * @param delimiter - the one-character field separator (not a quote, CR or LF).
   * @param onRecord - called for every complete record.
   * @param name - what to call the input in error messages (usually the file name).
   */
  constructor(
    delimiter: string,
    private readonly onRecord: CsvRecordHandler,
    private readonly name: string,
  ) {
    this.delimiter = delimiter.charCodeAt(0);
  }

  /**
   * Feeds the next piece of text. Records completed by it are passed to the handler before this
   * returns; an exception thrown by the handler propagates out of `push`.
   *
   * @throws FormatError for a character other than a delimiter or line break after a closing quote.
   */
  push(chunk: string): void {
    let i = 0;
    if (this.atStart && chunk.length > 0) {
      this.atStart = false;
      if (chunk.charCodeAt(0) === BOM) i = 1;
    }
    if (this.pendingCr && chunk.length > 0) {
      this.pendingCr = false;
      if (chunk.charCodeAt(0) !== LF) this.line++;
    }
    const n = chunk.length;
    const delimiter = this.delimiter;
    while (i < n) {
      switch (this.state) {
        case State.AfterCr: {
          if (chunk.charCodeAt(i) === LF) i++;
          this.state = State.RecordStart;
          break;
        }
        case State.RecordStart: {
          const c = chunk.charCodeAt(i);
          if (c === LF || c === CR) {
            this.line++;
            this.state = c === CR ? State.AfterCr : State.RecordStart;
            i++;
            break;
          }
          this.recordLine = this.line;
          this.state = State.FieldStart;
          break;
        }
        case State.FieldStart: {
          if (chunk.charCodeAt(i) === QUOTE) {
            this.quoteLine = this.line;
            this.state = State.Quoted;
            i++;
          } else {
            this.state = State.Unquoted;
          }
          break;
        }
        case State.Unquoted: {
          let j = i;
          let c = 0;
          while (j < n) {
            c = chunk.charCodeAt(j);
            if (c === delimiter || c === LF || c === CR) break;
            j++;
          }
          this.field += chunk.slice(i, j);
          if (j === n) {
            i = n;
            break;
          }
          this.endField();
          i = j + 1;
          if (c === delimiter) {
            this.state = State.FieldStart;
          } else {
            this.endRecord();
            this.line++;
            this.state = c === CR ? State.AfterCr : State.RecordStart;
          }
          break;
        }
        case State.Quoted: {
          const close = chunk.indexOf('"', i);
          const end = close === -1 ? n : close;
          this.line += countLineBreaks(chunk, i, end);
          this.field += chunk.slice(i, end);
          if (close === -1) {
            this.pendingCr = chunk.charCodeAt(n - 1) === CR;
            i = n;
          } else {
            i = close + 1;
            this.state = State.QuoteInQuoted;
          }
          break;
        }
        case State.QuoteInQuoted: {
          const c = chunk.charCodeAt(i);
          i++;
          if (c === QUOTE) {
            this.field += '"';
            this.state = State.Quoted;
          } else if (c === delimiter) {
            this.endField();
            this.state = State.FieldStart;
          } else if (c === LF || c === CR) {
            this.endField();
            this.endRecord();
            this.line++;
            this.state = c === CR ? State.AfterCr : State.RecordStart;
          } else {
            throw new FormatError(
              `${this.name}:${this.line}: field ${this.fields.length + 1}: unexpected character ${JSON.stringify(chunk[i - 1])} after the closing quote (a quoted field must end at a delimiter or line break; write "" for a quote inside it)`,
            );
          }
          break;
        }
      }
    }
  }

  /**
   * Signals the end of the input and emits the last record if it was not followed by a line break.
   *
   * @throws FormatError if a quoted field is still open.
   */
  end(): void {
    switch (this.state) {
      case State.Quoted:
        throw new FormatError(
          `${this.name}:${this.quoteLine}: unterminated quoted field: the quote opened on line ${this.quoteLine} is never closed`,
        );
      case State.FieldStart:
      case State.Unquoted:
      case State.QuoteInQuoted:
        this.endField();
        this.endRecord();
        break;
      case State.RecordStart:
      case State.AfterCr:
        break;
    }
    this.state = State.RecordStart;
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = '';
  }

  private endRecord(): void {
    const fields = this.fields;
    this.fields = [];
    this.onRecord(fields, this.recordLine);
  }
}

/**
 * Line breaks (LF, CRLF or lone CR) in text[from, to). A CR that is the last character of `text`
 * is not counted: whether it starts a CRLF is only known from the next chunk.
 */
function countLineBreaks(text: string, from: number, to: number): number {
  let breaks = 0;
  const last = text.length - 1;
  for (let k = from; k < to; k++) {
    const c = text.charCodeAt(k);
    if (c === LF) breaks++;
    else if (c === CR && k !== last && text.charCodeAt(k + 1) !== LF) breaks++;
  }
  return breaks;
}
