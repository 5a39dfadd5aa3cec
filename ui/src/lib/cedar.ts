// A small CodeMirror StreamLanguage mode for Cedar policies: keywords,
// strings, line comments, annotations, entity paths, numbers, operators.
import { StreamLanguage, type StreamParser, type StringStream } from '@codemirror/language';

const keywords = new Set([
  'permit', 'forbid', 'when', 'unless', 'principal', 'action', 'resource',
  'context', 'in', 'has', 'like', 'is', 'if', 'then', 'else',
]);
const atoms = new Set(['true', 'false']);

interface State {
  inString: boolean;
}

function stringRest(stream: StringStream, state: State) {
  while (!stream.eol()) {
    const ch = stream.next();
    if (ch === '\\') stream.next();
    else if (ch === '"') {
      state.inString = false;
      break;
    }
  }
  return 'string';
}

const parser: StreamParser<State> = {
  name: 'cedar',
  startState: () => ({ inString: false }),
  token(stream, state) {
    if (state.inString) return stringRest(stream, state);
    if (stream.eatSpace()) return null;
    if (stream.match('//')) {
      stream.skipToEnd();
      return 'comment';
    }
    if (stream.peek() === '"') {
      stream.next();
      state.inString = true;
      return stringRest(stream, state);
    }
    if (stream.match(/^@[A-Za-z_][A-Za-z0-9_]*/)) return 'meta';
    if (stream.match(/^-?\d+/)) return 'number';
    if (stream.match(/^[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)*(?=::")/)) return 'typeName';
    const word = stream.match(/^[A-Za-z_][A-Za-z0-9_]*/) as RegExpMatchArray | null;
    if (word) {
      const w = word[0];
      if (keywords.has(w)) return 'keyword';
      if (atoms.has(w)) return 'atom';
      if (stream.peek() === '(') return 'function';
      return 'variableName';
    }
    if (stream.match(/^(==|!=|<=|>=|&&|\|\||::)/)) return 'operator';
    const ch = stream.next();
    if (ch && '<>!+-*'.includes(ch)) return 'operator';
    if (ch && '(){}[]'.includes(ch)) return 'bracket';
    return null;
  },
  languageData: {
    commentTokens: { line: '//' },
  },
};

export const cedar = StreamLanguage.define(parser);
