import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';

import { loadCsv, parseCsvString } from '../lib/data';
import type { CsvOptions } from '../lib/data';
import { CsvRecordSplitter } from '../lib/data/csv-record-splitter';
import { parseDecimal } from '../lib/data/decimal';
import { Rng } from '../lib/rng';
import { ConfigError, FormatError } from '../lib/errors';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'blasprop-csv-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeTemp(name: string, text: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The error thrown by parsing `text` (which must throw). */
function errorOf(text: string, options: CsvOptions, name = 'data.csv'): Error {
  try {
    parseCsvString(text, options, name);
  } catch (err) {
    return err as Error;
  }
  throw new Error('parsing did not throw');
}

describe('CSV loading', () => {
  it('loads features in file order and maps class labels to sorted indices', async () => {
    const text = 'age,species,height\n31,setosa,1.5\n22,virginica,2.25\n45,setosa,-3e-1\n18,versicolor,0\n';
    const path = writeTemp('iris.csv', text);
    const data = await loadCsv(path, { label: 'species' });
    expect(data.featureNames).toEqual(['age', 'height']);
    expect(data.x.shape).toEqual([4, 2]);
    expect(data.x.data).toBeInstanceOf(Float32Array);
    expect(Array.from(data.x.data)).toEqual([31, 1.5, 22, 2.25, 45, Math.fround(-0.3), 18, 0]);
    expect(data.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(data.y).toBeInstanceOf(Int32Array);
    expect(Array.from(data.y)).toEqual([0, 2, 0, 1]);
    // The in-memory parser gives the same result.
    expect(parseCsvString(text, { label: 'species' })).toEqual(data);
  });

  it('sorts numeric class labels numerically, so digit labels map to themselves', () => {
    const data = parseCsvString('x,digit\n1,10\n2,9\n3,0\n4,2\n5,9\n', { label: 'digit' });
    expect(data.classes).toEqual(['0', '2', '9', '10']);
    expect(Array.from(data.y)).toEqual([3, 2, 0, 1, 2]);
    // The mapping does not depend on row order.
    const shuffled = parseCsvString('x,digit\n3,0\n5,9\n1,10\n4,2\n2,9\n', { label: 'digit' });
    expect(shuffled.classes).toEqual(data.classes);
    expect(Array.from(shuffled.y)).toEqual([0, 2, 3, 1, 2]);
  });

  it('uses a given classes list as the mapping and rejects labels outside it', () => {
    const data = parseCsvString('x,c\n1,b\n2,a\n', { label: 'c', classes: ['b', 'z', 'a'] });
    expect(data.classes).toEqual(['b', 'z', 'a']);
    expect(Array.from(data.y)).toEqual([0, 2]);
    const err = errorOf('x,c\n1,b\n2,q\n', { label: 'c', classes: ['a', 'b'] });
    expect(err).toBeInstanceOf(FormatError);
    expect(err.message).toBe('data.csv:3: column "c": "q" is not one of the given classes ("a", "b")');
  });

  it('reads numeric labels as Float64Array and honours dtype float64', () => {
    const data = parseCsvString('a,b,price\n1,0.1,10.5\n2,0.2,-3\n', { label: 'price', labelType: 'number', dtype: 'float64' });
    expect(data.x.data).toBeInstanceOf(Float64Array);
    expect(Array.from(data.x.data)).toEqual([1, 0.1, 2, 0.2]);
    expect(data.y).toBeInstanceOf(Float64Array);
    expect(Array.from(data.y)).toEqual([10.5, -3]);
    expect(data.classes).toBeUndefined();
  });

  it('takes the feature columns named in features, in that order, and skips the others unparsed', () => {
    const data = parseCsvString('id,name,b,label,a\n7,alice,2,x,1\n8,bob,4,y,3\n', { label: 'label', features: ['a', 'b'] });
    expect(data.featureNames).toEqual(['a', 'b']);
    expect(Array.from(data.x.data)).toEqual([1, 2, 3, 4]);
  });

  it('handles quoted fields with delimiters, doubled quotes and line breaks', () => {
    const text = 'v,"the ""label"""\n"1,5",x\n2,"a, ""quoted"" one"\n"3","two\nlines"\n';
    // "1,5" is a quoted field holding a comma: not a number.
    expect(errorOf(text, { label: 'the "label"' }).message).toBe('data.csv:2: column "v": "1,5" is not a number');
    const data = parseCsvString(text.replace('"1,5"', '"1.5"'), { label: 'the "label"' });
    expect(Array.from(data.x.data)).toEqual([1.5, 2, 3]);
    expect(data.classes).toEqual(['a, "quoted" one', 'two\nlines', 'x']);
    expect(Array.from(data.y)).toEqual([2, 0, 1]);
  });

  it('handles CRLF line ends, a BOM, blank lines and a missing final line break', async () => {
    const text = '\ufeffa,b,y\r\n1,2,p\r\n\r\n3,4,q\r\n5,6,p';
    const path = writeTemp('crlf.csv', Buffer.from(text, 'utf8'));
    const data = await loadCsv(path, { label: 'y' });
    expect(data.featureNames).toEqual(['a', 'b']);
    expect(Array.from(data.x.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(data.classes).toEqual(['p', 'q']);
    expect(Array.from(data.y)).toEqual([0, 1, 0]);
  });

  it('accepts other delimiters and surrounding spaces in numbers', () => {
    const data = parseCsvString('a;b;y\n 1 ; +2.5e1;k\n.5;7.;k\n', { label: 'y', delimiter: ';' });
    expect(Array.from(data.x.data)).toEqual([1, 25, 0.5, 7]);
    const tsv = parseCsvString('a\tb\ty\n1\t2\t3\n', { label: 'y', delimiter: '\t', labelType: 'number' });
    expect(Array.from(tsv.y)).toEqual([3]);
  });

  it('types x and y after the dtype and labelType options (checked by tsc)', () => {
    const classes = parseCsvString('a,y\n1,p\n', { label: 'y' });
    expectTypeOf(classes.x.data).toEqualTypeOf<Float32Array>();
    expectTypeOf(classes.y).toEqualTypeOf<Int32Array>();
    const numbers = parseCsvString('a,y\n1,2\n', { label: 'y', dtype: 'float64', labelType: 'number' });
    expectTypeOf(numbers.x.data).toEqualTypeOf<Float64Array>();
    expectTypeOf(numbers.y).toEqualTypeOf<Float64Array>();
    const options: CsvOptions = { label: 'y' };
    expectTypeOf(parseCsvString('a,y\n1,2\n', options).y).toEqualTypeOf<Int32Array | Float64Array>();
    expect(numbers.y).toBeInstanceOf(Float64Array);
    expect(classes.x.data).toBeInstanceOf(Float32Array);
  });

  it('returns an empty table for a header without rows', () => {
    const data = parseCsvString('a,b,y\n', { label: 'y' });
    expect(data.x.shape).toEqual([0, 2]);
    expect(data.x.data.length).toBe(0);
    expect(data.y.length).toBe(0);
    expect(data.classes).toEqual([]);
  });
});

describe('CSV errors', () => {
  it('names file, line and column for a value that is not a number', () => {
    const text = 'id,age,y\n1,30,a\n2,40,b\n3,abc,a\n';
    const err = errorOf(text, { label: 'y' });
    expect(err).toBeInstanceOf(FormatError);
    expect(err.message).toBe('data.csv:4: column "age": "abc" is not a number');
    for (const bad of ['NaN', 'Infinity', '0x10', '1,2', '1e', '--1', '1 2']) {
      const message = errorOf(`age,y\n"${bad}",a\n`, { label: 'y' }).message;
      expect(message).toBe(`data.csv:2: column "age": ${JSON.stringify(bad)} is not a number`);
    }
  });

  it('names file, line and column for an empty value', () => {
    const err = errorOf('a,b,y\n1,2,u\n3,,u\n', { label: 'y' });
    expect(err).toBeInstanceOf(FormatError);
    expect(err.message).toBe('data.csv:3: column "b": empty value is not a number');
  });

  it('counts lines through CRLF, lone CR and line breaks inside quoted fields', () => {
    expect(errorOf('a,y\r\n1,"x\r\ny"\r\n\r\nz,q\r\n', { label: 'y' }).message).toBe('data.csv:5: column "a": "z" is not a number');
    expect(errorOf('a,y\r1,p\rz,q\r', { label: 'y' }).message).toBe('data.csv:3: column "a": "z" is not a number');
  });

  it('reports ragged rows with expected and found field counts', () => {
    const short = errorOf('a,b,y\n1,2,p\n3,p\n', { label: 'y' });
    expect(short).toBeInstanceOf(FormatError);
    expect(short.message).toBe('data.csv:3: expected 3 fields as in the header, found 2');
    expect(errorOf('a,b,y\n1,2,p,9\n', { label: 'y' }).message).toBe('data.csv:2: expected 3 fields as in the header, found 4');
  });

  it('lists the available columns for an unknown label or feature column', () => {
    const label = errorOf('age,height,kind\n1,2,a\n', { label: 'species' });
    expect(label).toBeInstanceOf(ConfigError);
    expect(label.message).toBe('data.csv: label column "species" not found; available columns: "age", "height", "kind"');
    const feature = errorOf('age,height,kind\n1,2,a\n', { label: 'kind', features: ['age', 'weight'] });
    expect(feature).toBeInstanceOf(ConfigError);
    expect(feature.message).toBe('data.csv: feature column "weight" not found; available columns: "age", "height", "kind"');
  });

  it('rejects an empty file, a duplicate header name, an empty or non-numeric label', () => {
    expect(errorOf('', { label: 'y' }).message).toBe('data.csv: empty file: a header row is required');
    expect(errorOf('\n\n', { label: 'y' }).message).toBe('data.csv: empty file: a header row is required');
    expect(errorOf('a,b,a,y\n', { label: 'y' }).message).toBe('data.csv:1: column name "a" appears twice in the header (columns 1 and 3)');
    expect(errorOf('a,y\n1,\n', { label: 'y' }).message).toBe('data.csv:2: column "y": empty label');
    expect(errorOf('a,y\n1,cheap\n', { label: 'y', labelType: 'number' }).message).toBe(
      'data.csv:2: column "y": "cheap" is not a number',
    );
  });

  it('rejects malformed quoting', () => {
    const after = errorOf('a,y\n1,"p"q\n', { label: 'y' });
    expect(after).toBeInstanceOf(FormatError);
    expect(after.message).toContain('data.csv:2: field 2: unexpected character "q" after the closing quote');
    const open = errorOf('a,y\n1,p\n2,"q\n3,r\n', { label: 'y' });
    expect(open.message).toBe('data.csv:3: unterminated quoted field: the quote opened on line 3 is never closed');
  });

  it('rejects values outside the float32 range unless dtype is float64', () => {
    expect(errorOf('a,y\n1e39,p\n', { label: 'y' }).message).toBe(
      `data.csv:2: column "a": "1e39" is outside the float32 range (use dtype: 'float64')`,
    );
    expect(Array.from(parseCsvString('a,y\n1e39,p\n', { label: 'y', dtype: 'float64' }).x.data)).toEqual([1e39]);
    expect(errorOf('a,y\n1e400,p\n', { label: 'y', dtype: 'float64' }).message).toBe(
      'data.csv:2: column "a": "1e400" is outside the float64 range',
    );
    expect(errorOf('a,y\n1,-1e999\n', { label: 'y', labelType: 'number' }).message).toBe(
      'data.csv:2: column "y": "-1e999" is outside the float64 range',
    );
  });

  it('rejects invalid options', () => {
    const cases: [CsvOptions, string][] = [
      [{ label: 'y', delimiter: ';;' }, 'delimiter must be one character'],
      [{ label: 'y', delimiter: '"' }, 'delimiter must be one character'],
      [{ label: 'y', features: [] }, 'features must name at least one column'],
      [{ label: 'y', features: ['a', 'y'] }, 'column "y" cannot be both the label and a feature'],
      [{ label: 'y', features: ['a', 'a'] }, 'features lists "a" twice'],
      [{ label: 'y', labelType: 'number', classes: ['a'] }, "classes can only be given with labelType 'class'"],
      [{ label: 'y', labelEncoding: 'x' } as CsvOptions, "unknown option 'labelEncoding'"],
    ];
    for (const [options, message] of cases) {
      const err = errorOf('a,y\n1,2\n', options);
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.message).toContain(message);
    }
    expect(errorOf('y\n1\n', { label: 'y' }).message).toBe('data.csv: no feature columns: the header has only the label column "y"');
  });

  it('loadCsv names the file path in messages and rejects a missing file', async () => {
    const path = writeTemp('bad.csv', 'a,y\n1,p\n2,p\nx,p\n');
    await expect(loadCsv(path, { label: 'y' })).rejects.toThrow(`${path}:4: column "a": "x" is not a number`);
    await expect(loadCsv(join(dir, 'missing.csv'), { label: 'y' })).rejects.toThrow(/ENOENT/);
  });
});

describe('CSV record splitter', () => {
  /** Splits `text` fed in the given chunk sizes (cycled) and returns the records with their lines. */
  function split(text: string, chunkSizes: number[]): [number, string[]][] {
    const records: [number, string[]][] = [];
    const splitter = new CsvRecordSplitter(',', (fields, line) => records.push([line, fields.slice()]), 'test');
    let at = 0;
    for (let k = 0; at < text.length; k++) {
      const size = chunkSizes[k % chunkSizes.length];
      splitter.push(text.slice(at, at + size));
      at += size;
    }
    splitter.end();
    return records;
  }

  const text = '\ufeffh1,"h,2"\r\n"a""b",c\r\n\r\n"multi\r\nline",""\rlast,"q"\n"x\ry",\nend,"z"';
  const expected: [number, string[]][] = [
    [1, ['h1', 'h,2']],
    [2, ['a"b', 'c']],
    [4, ['multi\r\nline', '']],
    [6, ['last', 'q']],
    [7, ['x\ry', '']],
    [9, ['end', 'z']],
  ];

  it('splits records, unescapes quotes and tracks lines', () => {
    expect(split(text, [text.length])).toEqual(expected);
  });

  it('gives the same records however the text is cut into chunks', () => {
    for (const sizes of [[1], [2], [3], [5, 1, 2], [7, 3]]) {
      expect(split(text, sizes)).toEqual(expected);
    }
    for (let cut = 1; cut < text.length; cut++) {
      expect(split(text, [cut, text.length])).toEqual(expected);
    }
  });
});

describe('decimal parsing', () => {
  it('agrees with Number() on accepted texts, including the fast path limits', () => {
    const fixed = [
      '0', '-0', '+7', '007', '1.', '.5', '-.5', '3.14159', '0.1', '0.3', '1e5', '1E-5', '2.5e+3', ' 42 ', '\t-1\t',
      '123456789012345', '1234567890123456', '9007199254740993', '0.000000000000000000001', '1e22', '1e23', '1e-22',
      '1e-23', '4.9e-324', '1e-400', '1.7976931348623157e308', '1e309', '-1e309', '0.1e1000000000', '123.456e-2',
    ];
    for (const text of fixed) expect(Object.is(parseDecimal(text), Number(text)), text).toBe(true);
    const rng = new Rng(7);
    for (let k = 0; k < 20000; k++) {
      const intDigits = rng.below(12);
      const fracDigits = rng.below(12);
      let text = rng.below(2) === 0 ? '-' : '';
      for (let d = 0; d < intDigits; d++) text += String(rng.below(10));
      if (fracDigits > 0 || intDigits === 0) {
        text += '.';
        for (let d = 0; d < Math.max(1, fracDigits); d++) text += String(rng.below(10));
      }
      if (rng.below(3) === 0) text += `e${rng.below(2) === 0 ? '-' : ''}${rng.below(40)}`;
      expect(Object.is(parseDecimal(text), Number(text)), text).toBe(true);
    }
  });

  it('rejects everything that is not a plain decimal number', () => {
    for (const text of ['', ' ', '.', '-', '+', 'e5', '1e', '1e+', '1.2.3', '1,5', '0x10', '0b1', '0o7', 'NaN', 'Infinity', '-Infinity', '1_000', '1 2', '--1', '1-']) {
      expect(parseDecimal(text), JSON.stringify(text)).toBeNaN();
    }
  });
});
