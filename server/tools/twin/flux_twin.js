// The JavaScript half of the twin runtime (server/tools/twin/flux_twin.py is the
// CPython half).  server/tools/lowering.py rewrites each operation of a shared
// reducer whose Transcrypt translation would mean something else into a call of
// one of these functions; each gives CPython's result (or raises CPython's
// exception type) on the values JSON and the reducers make: null, booleans,
// numbers (ints within +-2**53-1), strings, arrays, plain objects.
// Hot paths are monomorphic and allocate nothing.
const _own = Object.prototype.propertyIsEnumerable;
const _proto = Object.getPrototypeOf;
const _OBJ = Object.prototype;
const _SURROGATE = /[\uD800-\uDFFF]/;

function _plain(x) {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return false;
  const p = _proto(x);
  return p === _OBJ || p === null;
}
function _put(o, k, v) {
  if (k === '__proto__') {
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  } else {
    o[k] = v;
  }
}
function _typename(x) {
  if (x === null || x === undefined) return 'NoneType';
  switch (typeof x) {
    case 'boolean': return 'bool';
    case 'number': return Number.isInteger(x) ? 'int' : 'float';
    case 'string': return 'str';
    case 'function': return 'function';
  }
  if (Array.isArray(x)) return x.__class__ === tuple ? 'tuple' : 'list';
  if (_plain(x)) return 'dict';
  return x.__class__ && x.__class__.__name__ ? x.__class__.__name__ : 'object';
}
function _type_error(message) { return py_TypeError(message); }
function _points(s) { return _SURROGATE.test(s) ? Array.from(s) : null; }
function _index(i, n, what) {
  if (typeof i === 'boolean') i = i ? 1 : 0;
  if (typeof i !== 'number' || !Number.isInteger(i)) {
    throw _type_error(what + ' indices must be integers or slices, not ' + _typename(i));
  }
  const j = i < 0 ? i + n : i;
  if (j < 0 || j >= n) throw IndexError(what + ' index out of range');
  return j;
}

export function _tw_getitem(x, k) {
  if (typeof k === 'string' && _plain(x)) {
    if (_own.call(x, k)) return x[k];
    throw KeyError(_tw_repr(k));
  }
  if (Array.isArray(x)) return x[_index(k, x.length, x.__class__ === tuple ? 'tuple' : 'list')];
  if (typeof x === 'string') {
    const p = _points(x);
    if (p === null) return x[_index(k, x.length, 'string')];
    return p[_index(k, p.length, 'string')];
  }
  if (_plain(x)) {
    const key = typeof k === 'number' || typeof k === 'boolean' ? String(k) : k;
    if (typeof key === 'string' && _own.call(x, key)) return x[key];
    throw KeyError(_tw_repr(k));
  }
  if (x !== null && x !== undefined && typeof x.__getitem__ === 'function') return x.__getitem__(k);
  throw _type_error("'" + _typename(x) + "' object is not subscriptable");
}

export function _tw_setitem(x, k, v) {
  if (typeof k === 'string' && _plain(x)) { _put(x, k, v); return null; }
  if (Array.isArray(x)) { x[_index(k, x.length, 'list assignment')] = v; return null; }
  if (_plain(x)) { _put(x, String(k), v); return null; }
  if (x !== null && x !== undefined && typeof x.__setitem__ === 'function') { x.__setitem__(k, v); return null; }
  throw _type_error("'" + _typename(x) + "' object does not support item assignment");
}

export function _tw_delitem(x, k) {
  if (_plain(x)) {
    const key = typeof k === 'string' ? k : String(k);
    if (!_own.call(x, key)) throw KeyError(_tw_repr(k));
    delete x[key];
    return null;
  }
  if (Array.isArray(x)) { x.splice(_index(k, x.length, 'list assignment'), 1); return null; }
  if (x !== null && x !== undefined && typeof x.__delitem__ === 'function') { x.__delitem__(k); return null; }
  throw _type_error("'" + _typename(x) + "' object does not support item deletion");
}

function _bound(v, n, step, isStart) {
  if (v === null || v === undefined) {
    if (step > 0) return isStart ? 0 : n;
    return isStart ? n - 1 : -1;
  }
  if (typeof v === 'boolean') v = v ? 1 : 0;
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw _type_error('slice indices must be integers or None or have an __index__ method');
  }
  if (v < 0) { v += n; if (v < 0) v = step > 0 ? 0 : -1; }
  else if (v >= n) v = step > 0 ? n : n - 1;
  return v;
}
export function _tw_slice(x, a, b, c) {
  const step = c === null || c === undefined ? 1 : c;
  if (step === 0) throw ValueError('slice step cannot be zero');
  let seq = x;
  let text = false;
  if (typeof x === 'string') {
    text = true;
    const p = _points(x);
    if (p === null) {
      if (step === 1) {
        const n = x.length;
        return x.slice(_bound(a, n, 1, true), Math.max(_bound(a, n, 1, true), _bound(b, n, 1, false)));
      }
      seq = x.split('');
    } else {
      seq = p;
    }
  } else if (!Array.isArray(x)) {
    throw _type_error("'" + _typename(x) + "' object is not subscriptable");
  }
  const n = seq.length;
  const start = _bound(a, n, step, true);
  const stop = _bound(b, n, step, false);
  let out;
  if (step === 1) {
    out = seq.slice(start, Math.max(start, stop));
  } else {
    out = [];
    if (step > 0) { for (let i = start; i < stop; i += step) out.push(seq[i]); }
    else { for (let i = start; i > stop; i += step) out.push(seq[i]); }
  }
  if (text) return out.join('');
  if (x.__class__ === tuple) out.__class__ = tuple;
  return out;
}

export function _tw_truth(x) {
  if (x === null || x === undefined) return false;
  switch (typeof x) {
    case 'boolean': return x;
    case 'number': return x !== 0;
    case 'string': return x.length !== 0;
  }
  if (Array.isArray(x)) return x.length !== 0;
  if (_plain(x)) { for (const k in x) return true; return false; }
  if (typeof x.__bool__ === 'function') return x.__bool__();
  if (typeof x.__len__ === 'function') return x.__len__() !== 0;
  return true;
}
// `a or b` becomes `_tw_jt(a) || b`: a when truthy in Python, else false (so b).
export function _tw_jt(x) { return _tw_truth(x) ? x : false; }
export function _tw_or_fn(a, f) { return _tw_truth(a) ? a : f(); }
export function _tw_and_fn(a, f) { return _tw_truth(a) ? f() : a; }

export function _tw_len(x) {
  if (typeof x === 'string') {
    if (!_SURROGATE.test(x)) return x.length;
    let n = 0;
    for (let i = 0; i < x.length; i++) {
      const c = x.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < x.length) {
        const d = x.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) i++;
      }
      n++;
    }
    return n;
  }
  if (Array.isArray(x)) return x.length;
  if (_plain(x)) { let n = 0; for (const k in x) n++; return n; }
  if (x !== null && x !== undefined && typeof x.__len__ === 'function') return x.__len__();
  throw _type_error("object of type '" + _typename(x) + "' has no len()");
}

export function _tw_iter(x) {
  if (Array.isArray(x)) return x;
  if (typeof x === 'string') return Array.from(x);
  if (_plain(x)) return Object.keys(x);
  if (x === null || x === undefined || typeof x !== 'object') {
    throw _type_error("'" + _typename(x) + "' object is not iterable");
  }
  if (typeof x.__iter__ === 'function') return Array.from(x.__iter__());
  if (typeof x[Symbol.iterator] === 'function') return Array.from(x);
  throw _type_error("'" + _typename(x) + "' object is not iterable");
}

export function _tw_in(k, c) {
  if (typeof c === 'string') {
    if (typeof k !== 'string') throw _type_error("'in <string>' requires string as left operand, not " + _typename(k));
    return c.indexOf(k) !== -1;
  }
  if (Array.isArray(c)) {
    if (typeof k !== 'object' || k === null) {
      for (let i = 0; i < c.length; i++) { const v = c[i]; if (v === k || (typeof v === 'object' && _tw_eq(v, k))) return true; }
      if (typeof k === 'boolean' || typeof k === 'number') {
        for (let i = 0; i < c.length; i++) if (_tw_eq(c[i], k)) return true;
      }
      return false;
    }
    for (let i = 0; i < c.length; i++) if (_tw_eq(c[i], k)) return true;
    return false;
  }
  if (_plain(c)) {
    if (typeof k === 'string') return _own.call(c, k);
    if (typeof k === 'number' || typeof k === 'boolean') return _own.call(c, String(k));
    if (Array.isArray(k) && k.__class__ !== tuple || _plain(k)) throw _type_error("unhashable type: '" + _typename(k) + "'");
    return false;
  }
  if (c !== null && c !== undefined && typeof c.__contains__ === 'function') return c.__contains__(k);
  throw _type_error("argument of type '" + _typename(c) + "' is not iterable");
}

export function _tw_eq(a, b) {
  if (a === b) return true;
  const ta = typeof a;
  if (ta === 'number' || ta === 'boolean') {
    const tb = typeof b;
    if (tb === 'number' || tb === 'boolean') return +a === +b;
    return false;
  }
  if (ta !== 'object' || a === null || b === null || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || (a.__class__ === tuple) !== (b.__class__ === tuple) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!_tw_eq(a[i], b[i])) return false;
    return true;
  }
  if (_plain(a)) {
    if (!_plain(b)) return false;
    let n = 0;
    for (const k in a) {
      if (!_own.call(b, k) || !_tw_eq(a[k], b[k])) return false;
      n++;
    }
    for (const k in b) n--;
    return n === 0;
  }
  if (typeof a.__eq__ === 'function') return a.__eq__(b);
  return false;
}
export function _tw_ne(a, b) { return !_tw_eq(a, b); }

function _strcmp(a, b) {
  // by code point: UTF-16 order differs only between surrogates and U+E000..U+FFFF
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i), y = b.charCodeAt(i);
    if (x !== y) {
      const sx = x >= 0xd800 && x <= 0xdfff, sy = y >= 0xd800 && y <= 0xdfff;
      if (sx !== sy) return sx ? 1 : -1;
      return x < y ? -1 : 1;
    }
  }
  return a.length === b.length ? 0 : (a.length < b.length ? -1 : 1);
}
function _cmp_error(op, a, b) {
  return _type_error("'" + op + "' not supported between instances of '" + _typename(a) + "' and '" + _typename(b) + "'");
}
// -1, 0, 1 as CPython orders a and b; TypeError where CPython has no order.
export function _tw_cmp(a, b, op) {
  const ta = typeof a, tb = typeof b;
  if ((ta === 'number' || ta === 'boolean') && (tb === 'number' || tb === 'boolean')) {
    const x = +a, y = +b;
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (ta === 'string' && tb === 'string') return _strcmp(a, b);
  if (Array.isArray(a) && Array.isArray(b) && (a.__class__ === tuple) === (b.__class__ === tuple)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (!_tw_eq(a[i], b[i])) return _tw_cmp(a[i], b[i], op || '<');
    }
    return a.length === b.length ? 0 : (a.length < b.length ? -1 : 1);
  }
  if (a !== null && typeof a === 'object' && !Array.isArray(a) && !_plain(a) && typeof a.__lt__ === 'function') {
    return a.__lt__(b) ? -1 : (a.__gt__ && a.__gt__(b) ? 1 : 0);
  }
  throw _cmp_error(op || '<', a, b);
}
export function _tw_lt(a, b) {
  return typeof a === 'number' && typeof b === 'number' ? a < b : _tw_cmp(a, b, '<') < 0;
}
export function _tw_le(a, b) {
  return typeof a === 'number' && typeof b === 'number' ? a <= b : _tw_cmp(a, b, '<=') <= 0;
}
export function _tw_gt(a, b) {
  return typeof a === 'number' && typeof b === 'number' ? a > b : _tw_cmp(a, b, '>') > 0;
}
export function _tw_ge(a, b) {
  return typeof a === 'number' && typeof b === 'number' ? a >= b : _tw_cmp(a, b, '>=') >= 0;
}

function _operand_error(op, a, b) {
  return _type_error('unsupported operand type(s) for ' + op + ": '" + _typename(a) + "' and '" + _typename(b) + "'");
}
export function _tw_add(a, b) {
  const ta = typeof a;
  if (ta === 'number' && typeof b === 'number') return a + b;
  if (ta === 'string') {
    if (typeof b === 'string') return a + b;
    throw _type_error('can only concatenate str (not "' + _typename(b) + '") to str');
  }
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || (a.__class__ === tuple) !== (b.__class__ === tuple)) {
      throw _type_error('can only concatenate ' + _typename(a) + ' (not "' + _typename(b) + '") to ' + _typename(a));
    }
    const out = a.concat(b);
    if (a.__class__ === tuple) out.__class__ = tuple;
    return out;
  }
  if ((ta === 'number' || ta === 'boolean') && (typeof b === 'number' || typeof b === 'boolean')) return +a + +b;
  if (a !== null && ta === 'object' && typeof a.__add__ === 'function') return a.__add__(b);
  throw _operand_error('+', a, b);
}
// x += y: a list grows in place (as in CPython); anything else is x + y.
export function _tw_iadd(a, b) {
  if (Array.isArray(a) && a.__class__ !== tuple) {
    const items = _tw_iter(b);
    for (let i = 0; i < items.length; i++) a.push(items[i]);
    return a;
  }
  return _tw_add(a, b);
}
function _repeat_count(n) {
  if (typeof n === 'boolean') return n ? 1 : 0;
  return n;
}
export function _tw_mul(a, b) {
  const ta = typeof a, tb = typeof b;
  if (ta === 'number' && tb === 'number') return a * b;
  if ((ta === 'string' || Array.isArray(a)) && (tb === 'number' || tb === 'boolean') && Number.isInteger(+b)) return _repeat(a, _repeat_count(b));
  if ((tb === 'string' || Array.isArray(b)) && (ta === 'number' || ta === 'boolean') && Number.isInteger(+a)) return _repeat(b, _repeat_count(a));
  if ((ta === 'number' || ta === 'boolean') && (tb === 'number' || tb === 'boolean')) return +a * +b;
  throw _operand_error('*', a, b);
}
function _repeat(x, n) {
  if (typeof x === 'string') return n > 0 ? x.repeat(n) : '';
  const out = [];
  for (let r = 0; r < n; r++) for (let i = 0; i < x.length; i++) out.push(x[i]);
  if (x.__class__ === tuple) out.__class__ = tuple;
  return out;
}
export function _tw_imul(a, b) {
  if (Array.isArray(a) && a.__class__ !== tuple) {
    const copy = _tw_mul(a, b);
    a.length = 0;
    for (let i = 0; i < copy.length; i++) a.push(copy[i]);
    return a;
  }
  return _tw_mul(a, b);
}
function _numbers(op, a, b) {
  if ((typeof a !== 'number' && typeof a !== 'boolean') || (typeof b !== 'number' && typeof b !== 'boolean')) throw _operand_error(op, a, b);
}
export function _tw_floordiv(a, b) {
  _numbers('//', a, b);
  if (+b === 0) throw ZeroDivisionError('integer division or modulo by zero');
  return Math.floor(+a / +b);
}
export function _tw_mod(a, b) {
  if (typeof a === 'string') return _tw_percent(a, b);
  _numbers('%', a, b);
  const x = +a, y = +b;
  if (y === 0) throw ZeroDivisionError('integer division or modulo by zero');
  const r = x % y;
  return r !== 0 && (r < 0) !== (y < 0) ? r + y : r;
}
export function _tw_truediv(a, b) {
  _numbers('/', a, b);
  if (+b === 0) throw ZeroDivisionError('division by zero');
  return +a / +b;
}
export function _tw_abs(x) { _numbers('abs', x, 0); return Math.abs(+x); }

// ---- text --------------------------------------------------------------
const _REPR_ESCAPES = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
function _hex(c, width) { return c.toString(16).padStart(width, '0'); }
function _printable(c) {
  // CPython's str.isprintable for the characters JSON carries most: not
  // control characters, not the Z* separators other than the ASCII space.
  if (c < 0x20 || (c >= 0x7f && c <= 0xa0) || c === 0xad) return false;
  if (c === 0x1680 || (c >= 0x2000 && c <= 0x200f) || (c >= 0x2028 && c <= 0x202f)) return false;
  if ((c >= 0x205f && c <= 0x2064) || (c >= 0x2066 && c <= 0x206f) || c === 0x3000 || c === 0xfeff) return false;
  if (c >= 0xd800 && c <= 0xdfff) return false;
  if (c === 0x61c || (c >= 0xfff9 && c <= 0xfffb) || c === 0xfffe || c === 0xffff) return false;
  if (c >= 0xe000 && c <= 0xf8ff) return false;
  return true;
}
function _repr_str(s) {
  const quote = s.indexOf("'") !== -1 && s.indexOf('"') === -1 ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (ch === quote) out += '\\' + ch;
    else if (_REPR_ESCAPES[ch] !== undefined) out += _REPR_ESCAPES[ch];
    else if (c > 0xffff ? ((c >= 0xf0000) || (c >= 0xe0000 && c <= 0xe0fff)) : !_printable(c)) {
      out += c < 0x100 ? '\\x' + _hex(c, 2) : (c < 0x10000 ? '\\u' + _hex(c, 4) : '\\U' + _hex(c, 8));
    } else out += ch;
  }
  return out + quote;
}
function _int_text(x) {
  if (Number.isInteger(x)) return Math.abs(x) < 1e21 ? String(x) : BigInt(x).toString();
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  const t = String(x);
  const m = /^(-?\d(?:\.\d+)?)e([+-])(\d+)$/.exec(t);
  if (m) return m[1] + 'e' + m[2] + m[3].padStart(2, '0');
  return t;
}
export function _tw_repr(x) {
  if (typeof x === 'string') return _repr_str(x);
  if (Array.isArray(x)) {
    const parts = [];
    for (let i = 0; i < x.length; i++) parts.push(_tw_repr(x[i]));
    if (x.__class__ === tuple) return '(' + parts.join(', ') + (parts.length === 1 ? ',)' : ')');
    return '[' + parts.join(', ') + ']';
  }
  if (_plain(x)) {
    const parts = [];
    for (const k in x) parts.push(_repr_str(k) + ': ' + _tw_repr(x[k]));
    return '{' + parts.join(', ') + '}';
  }
  return _tw_str(x);
}
export function _tw_str(x) {
  if (typeof x === 'string') return x;
  if (x === null || x === undefined) return 'None';
  if (typeof x === 'boolean') return x ? 'True' : 'False';
  if (typeof x === 'number') return _int_text(x);
  if (Array.isArray(x) || _plain(x)) return _tw_repr(x);
  if (typeof x.__str__ === 'function') return x.__str__();
  if (typeof x.__repr__ === 'function') return x.__repr__();
  return String(x);
}

function _format_error(spec, x) { return ValueError("Unknown format code '" + spec + "' for object of type '" + _typename(x) + "'"); }
// format(x, spec) for the specs [[fill]align][sign][0][width][,][.precision][type] of ints and strings
export function _tw_format(x, spec) {
  if (spec === '' || spec === null || spec === undefined) return _tw_str(x);
  const m = /^(?:(.)?([<>^=]))?([+\- ])?(0)?(\d+)?([,_])?(?:\.(\d+))?([sdfxXob%])?$/su.exec(spec);
  if (!m) throw ValueError('Invalid format specifier');
  let [, fill, align, sign, zero, width, group, precision, type] = m;
  let body;
  if (typeof x === 'string') {
    if (type && type !== 's') throw _format_error(type, x);
    if (sign) throw ValueError('Sign not allowed in string format specifier');
    if (group) throw ValueError("Cannot specify '" + group + "' with 's'.");
    body = precision !== undefined ? Array.from(x).slice(0, +precision).join('') : x;
    align = align || '<';
  } else if (typeof x === 'number' || typeof x === 'boolean') {
    let n = +x;
    let digits;
    if (precision !== undefined && type !== 'f' && type !== '%') throw ValueError('Precision not allowed in integer format specifier');
    if (type === 'f' || type === '%') {
      if (type === '%') n *= 100;
      digits = Math.abs(n).toFixed(precision === undefined ? 6 : +precision);
    } else if (type === 'x' || type === 'X' || type === 'o' || type === 'b') {
      if (!Number.isInteger(n)) throw _format_error(type, x);
      digits = Math.abs(n).toString(type === 'o' ? 8 : type === 'b' ? 2 : 16);
      if (type === 'X') digits = digits.toUpperCase();
    } else if (type === 's') {
      throw _format_error('s', x);
    } else {
      if (!Number.isInteger(n) && type === 'd') throw _format_error('d', x);
      digits = _int_text(Math.abs(n));
    }
    if (group) {
      const [whole, frac] = digits.split('.');
      digits = whole.replace(/\B(?=(\d{3})+(?!\d))/g, group) + (frac !== undefined ? '.' + frac : '');
    }
    if (type === '%') digits += '%';
    const signText = n < 0 || Object.is(n, -0) && type === 'f' ? '-' : (sign === '+' ? '+' : sign === ' ' ? ' ' : '');
    if (zero && !align) { fill = '0'; align = '='; }
    align = align || '>';
    const w = width === undefined ? 0 : +width;
    if (align === '=') {
      const pad = Math.max(0, w - signText.length - digits.length);
      return signText + (fill || ' ').repeat(pad) + digits;
    }
    body = signText + digits;
  } else if (x === null || x === undefined || Array.isArray(x) || _plain(x)) {
    throw _type_error('unsupported format string passed to ' + _typename(x) + '.__format__');
  } else {
    body = _tw_str(x);
    align = align || '<';
  }
  if (zero && !fill) fill = '0';
  fill = fill || ' ';
  const w = width === undefined ? 0 : +width;
  const n = _tw_len(body);
  if (n >= w) return body;
  const pad = w - n;
  if (align === '<') return body + fill.repeat(pad);
  if (align === '>') return fill.repeat(pad) + body;
  if (align === '^') return fill.repeat(pad >> 1) + body + fill.repeat(pad - (pad >> 1));
  throw ValueError("'=' alignment not allowed in string format specifier");
}
// fmt.format(*args): {} {0} and {:spec}; no attribute or item access in fields
export function _tw_format_str(fmt, args) {
  let auto = 0;
  return fmt.replace(/\{\{|\}\}|\{(\d*)(?:!([rs]))?(?::([^{}]*))?\}|\{|\}/g, (all, index, conv, spec) => {
    if (all === '{{') return '{';
    if (all === '}}') return '}';
    if (all === '{' || all === '}') throw ValueError("Single '" + all + "' encountered in format string");
    const i = index === '' ? auto++ : +index;
    if (i >= args.length) throw IndexError('Replacement index ' + i + ' out of range for positional args tuple');
    let v = args[i];
    if (conv === 'r') v = _tw_repr(v);
    else if (conv === 's') v = _tw_str(v);
    return _tw_format(v, spec || '');
  });
}
// fmt % args
export function _tw_percent(fmt, args) {
  const values = Array.isArray(args) && args.__class__ === tuple ? args : [args];
  let next = 0;
  const out = fmt.replace(/%([-+ 0]*)(\d+)?(?:\.(\d+))?([sdirf%])/g, (all, flags, width, precision, type) => {
    if (type === '%') return '%';
    if (next >= values.length) throw _type_error('not enough arguments for format string');
    const v = values[next++];
    let text;
    if (type === 's') text = _tw_str(v);
    else if (type === 'r') text = _tw_repr(v);
    else if (type === 'f') {
      if (typeof v !== 'number' && typeof v !== 'boolean') throw _type_error('must be real number, not ' + _typename(v));
      text = (+v).toFixed(precision === undefined ? 6 : +precision);
    } else {
      if (typeof v !== 'number' && typeof v !== 'boolean') throw _type_error('%' + type + ' format: a real number is required, not ' + _typename(v));
      text = _int_text(Math.trunc(+v));
    }
    if (precision !== undefined && type === 's') text = Array.from(text).slice(0, +precision).join('');
    if (flags.indexOf('+') !== -1 && (type !== 's' && type !== 'r') && !text.startsWith('-')) text = '+' + text;
    const w = width === undefined ? 0 : +width;
    const n = _tw_len(text);
    if (n < w) {
      if (flags.indexOf('-') !== -1) text += ' '.repeat(w - n);
      else if (flags.indexOf('0') !== -1 && type !== 's' && type !== 'r') {
        const neg = text[0] === '-' || text[0] === '+';
        text = (neg ? text[0] : '') + '0'.repeat(w - n) + (neg ? text.slice(1) : text);
      } else text = ' '.repeat(w - n) + text;
    }
    return text;
  });
  if (next < values.length) throw _type_error('not all arguments converted during string formatting');
  return out;
}

// str.strip() with no argument strips what CPython calls whitespace
const _WS = '\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';
function _strip(s, chars, left, right) {
  const set = chars === null || chars === undefined ? _WS : chars;
  const p = set === _WS || !_SURROGATE.test(s + set) ? null : Array.from(s);
  if (p !== null) {
    const cs = Array.from(set);
    let i = 0, j = p.length;
    if (left) while (i < j && cs.indexOf(p[i]) !== -1) i++;
    if (right) while (j > i && cs.indexOf(p[j - 1]) !== -1) j--;
    return p.slice(i, j).join('');
  }
  let i = 0, j = s.length;
  if (left) while (i < j && set.indexOf(s[i]) !== -1) i++;
  if (right) while (j > i && set.indexOf(s[j - 1]) !== -1) j--;
  return s.slice(i, j);
}
function _rest(args) { return Array.prototype.slice.call(args, 1); }
function _method(x, name, args) {
  if (x === null || x === undefined) throw AttributeError("'NoneType' object has no attribute '" + name + "'");
  // Transcrypt names a method get, keys, items, pop, ... py_get, py_keys, ...
  let f = x['py_' + name];
  if (typeof f !== 'function') f = x[name];
  if (typeof f !== 'function') throw AttributeError("'" + _typename(x) + "' object has no attribute '" + name + "'");
  return f.apply(x, args);
}
export function _tw_m_strip(s, chars) { return typeof s === 'string' ? _strip(s, chars, true, true) : _method(s, 'strip', _rest(arguments)); }
export function _tw_m_lstrip(s, chars) { return typeof s === 'string' ? _strip(s, chars, true, false) : _method(s, 'lstrip', _rest(arguments)); }
export function _tw_m_rstrip(s, chars) { return typeof s === 'string' ? _strip(s, chars, false, true) : _method(s, 'rstrip', _rest(arguments)); }
export function _tw_m_split(s, sep, max) {
  if (typeof s !== 'string') return _method(s, 'split', _rest(arguments));
  const limit = max === undefined || max === null || max < 0 ? -1 : max;
  if (sep === undefined || sep === null) {
    const out = [];
    let i = 0;
    const n = s.length;
    while (true) {
      while (i < n && _WS.indexOf(s[i]) !== -1) i++;
      if (i >= n) break;
      if (limit !== -1 && out.length === limit) {
        out.push(s.slice(i));  // the rest keeps its trailing whitespace, as in CPython
        break;
      }
      let j = i;
      while (j < n && _WS.indexOf(s[j]) === -1) j++;
      out.push(s.slice(i, j));
      i = j;
    }
    return out;
  }
  if (typeof sep !== 'string') throw _type_error('must be str or None, not ' + _typename(sep));
  if (sep === '') throw ValueError('empty separator');
  const out = [];
  let i = 0;
  while (limit === -1 || out.length < limit) {
    const j = s.indexOf(sep, i);
    if (j === -1) break;
    out.push(s.slice(i, j));
    i = j + sep.length;
  }
  out.push(s.slice(i));
  return out;
}
export function _tw_m_join(sep, items) {
  if (typeof sep !== 'string') return _method(sep, 'join', _rest(arguments));
  const xs = _tw_iter(items);
  for (let i = 0; i < xs.length; i++) {
    if (typeof xs[i] !== 'string') throw _type_error('sequence item ' + i + ': expected str instance, ' + _typename(xs[i]) + ' found');
  }
  return xs.join(sep);
}
function _prefix_test(s, name, x, start) {
  if (typeof s !== 'string') return _method(s, name, [x]);
  const xs = Array.isArray(x) ? x : [x];
  for (let i = 0; i < xs.length; i++) {
    if (typeof xs[i] !== 'string') throw _type_error(name + ' first arg must be str or a tuple of str, not ' + _typename(xs[i]));
    if (start ? s.startsWith(xs[i]) : s.endsWith(xs[i])) return true;
  }
  return false;
}
export function _tw_m_startswith(s, x) { return typeof s === 'string' ? _prefix_test(s, 'startswith', x, true) : _method(s, 'startswith', _rest(arguments)); }
export function _tw_m_endswith(s, x) { return typeof s === 'string' ? _prefix_test(s, 'endswith', x, false) : _method(s, 'endswith', _rest(arguments)); }
export function _tw_m_lower(s) { return typeof s === 'string' ? s.toLowerCase() : _method(s, 'lower', _rest(arguments)); }
export function _tw_m_upper(s) { return typeof s === 'string' ? s.toUpperCase() : _method(s, 'upper', _rest(arguments)); }
export function _tw_m_replace(s, a, b, count) {
  if (typeof s !== 'string') return _method(s, 'replace', _rest(arguments));
  if (typeof a !== 'string' || typeof b !== 'string') throw _type_error('replace() argument must be str');
  const limit = count === undefined || count === null || count < 0 ? -1 : count;
  if (a === '') {
    const points = Array.from(s);
    const out = [];
    let done = 0;
    for (let i = 0; i <= points.length; i++) {
      if (limit === -1 || done < limit) { out.push(b); done++; }
      if (i < points.length) out.push(points[i]);
    }
    return out.join('');
  }
  if (limit === -1) return s.split(a).join(b);
  let out = '', i = 0, done = 0;
  while (done < limit) {
    const j = s.indexOf(a, i);
    if (j === -1) break;
    out += s.slice(i, j) + b;
    i = j + a.length;
    done++;
  }
  return out + s.slice(i);
}
export function _tw_m_format(s, ...args) { return typeof s === 'string' ? _tw_format_str(s, args) : _method(s, 'format', args); }
function _cp_index(s, unit) {
  // the code-point index of UTF-16 index `unit` in s
  if (unit <= 0 || !_SURROGATE.test(s)) return unit;
  return _tw_len(s.slice(0, unit));
}
export function _tw_m_find(s, x) {
  if (typeof s !== 'string') return _method(s, 'find', _rest(arguments));
  if (typeof x !== 'string') throw _type_error('must be str, not ' + _typename(x));
  const i = s.indexOf(x);
  return i === -1 ? -1 : _cp_index(s, i);
}
export function _tw_m_index(s, x) {
  if (typeof s === 'string') {
    const i = _tw_m_find(s, x);
    if (i === -1) throw ValueError('substring not found');
    return i;
  }
  if (Array.isArray(s)) {
    for (let i = 0; i < s.length; i++) if (_tw_eq(s[i], x)) return i;
    throw ValueError(_tw_repr(x) + ' is not in list');
  }
  return _method(s, 'index', _rest(arguments));
}
export function _tw_m_count(s, x) {
  if (typeof s === 'string') {
    if (typeof x !== 'string') throw _type_error('must be str, not ' + _typename(x));
    if (x === '') return _tw_len(s) + 1;
    let n = 0, i = 0;
    while ((i = s.indexOf(x, i)) !== -1) { n++; i += x.length; }
    return n;
  }
  if (Array.isArray(s)) {
    let n = 0;
    for (let i = 0; i < s.length; i++) if (_tw_eq(s[i], x)) n++;
    return n;
  }
  return _method(s, 'count', _rest(arguments));
}

// ---- mappings and lists ---------------------------------------------------
export function _tw_m_get(o, k, d) {
  if (_plain(o)) {
    if (typeof k === 'string') return _own.call(o, k) ? o[k] : (d === undefined ? null : d);
    return _tw_in(k, o) ? o[String(k)] : (d === undefined ? null : d);
  }
  return _method(o, 'get', _rest(arguments));
}
export function _tw_m_keys(o) { return _plain(o) ? Object.keys(o) : _method(o, 'keys', _rest(arguments)); }
export function _tw_m_values(o) {
  if (!_plain(o)) return _method(o, 'values', _rest(arguments));
  const out = [];
  for (const k in o) out.push(o[k]);
  return out;
}
export function _tw_m_items(o) {
  if (!_plain(o)) return _method(o, 'items', _rest(arguments));
  const out = [];
  for (const k in o) { const pair = [k, o[k]]; pair.__class__ = tuple; out.push(pair); }
  return out;
}
export function _tw_m_pop(o, k, d) {
  if (_plain(o)) {
    const key = typeof k === 'string' ? k : String(k);
    if (_own.call(o, key)) { const v = o[key]; delete o[key]; return v; }
    if (arguments.length > 2) return d;
    throw KeyError(_tw_repr(k));
  }
  if (Array.isArray(o)) {
    if (o.length === 0) throw IndexError('pop from empty list');
    if (arguments.length < 2) return o.pop();
    const i = _index(k, o.length, 'pop');
    return o.splice(i, 1)[0];
  }
  return _method(o, 'pop', _rest(arguments));
}
export function _tw_m_update(o, other) {
  if (!_plain(o)) return _method(o, 'update', _rest(arguments));
  if (_plain(other)) { for (const k in other) _put(o, k, other[k]); }
  else { const pairs = _tw_iter(other); for (let i = 0; i < pairs.length; i++) _put(o, String(pairs[i][0]), pairs[i][1]); }
  return null;
}
export function _tw_m_copy(o) {
  if (Array.isArray(o) && o.__class__ !== tuple) return o.slice();
  if (_plain(o)) { const out = {}; for (const k in o) _put(out, k, o[k]); return out; }
  return _method(o, 'copy', _rest(arguments));
}
export function _tw_m_setdefault(o, k, d) {
  if (!_plain(o)) return _method(o, 'setdefault', _rest(arguments));
  if (_own.call(o, k)) return o[k];
  const v = d === undefined ? null : d;
  _put(o, k, v);
  return v;
}
export function _tw_m_append(o, x) {
  if (Array.isArray(o)) { o.push(x); return null; }
  return _method(o, 'append', _rest(arguments));
}
export function _tw_m_extend(o, xs) {
  if (Array.isArray(o)) { const items = _tw_iter(xs); for (let i = 0; i < items.length; i++) o.push(items[i]); return null; }
  return _method(o, 'extend', _rest(arguments));
}

// {k: v, **m, ...}: parts are [0, key, value] or [1, mapping] runs, flattened
export function _tw_dict_parts(parts) {
  const out = {};
  for (let i = 0; i < parts.length;) {
    if (parts[i] === 0) { _put(out, parts[i + 1], parts[i + 2]); i += 3; }
    else { _tw_m_update(out, parts[i + 1]); i += 2; }
  }
  return out;
}
export function _tw_dict_pairs(pairs) {
  const out = {};
  for (let i = 0; i < pairs.length; i++) _put(out, typeof pairs[i][0] === 'string' ? pairs[i][0] : String(pairs[i][0]), pairs[i][1]);
  return out;
}
export function _tw_dict(x) {
  if (x === undefined) return {};
  if (_plain(x)) return _tw_m_copy(x);
  return _tw_dict_pairs(_tw_iter(x));
}
export function _tw_list(x) {
  if (x === undefined) return [];
  const xs = _tw_iter(x);
  return xs === x || typeof x === 'object' && xs === x ? xs.slice() : (xs.__class__ === tuple ? xs.slice() : xs);
}
export function _tw_tuple(x) {
  const out = x === undefined ? [] : _tw_iter(x).slice();
  out.__class__ = tuple;
  return out;
}
export function _tw_set(x) { return set(x === undefined ? [] : _tw_iter(x)); }

// ---- builtins ----------------------------------------------------------------
function _key_of(key, x) { return key === null || key === undefined ? x : key(x); }
export function _tw_sorted(xs, key, reverse) {
  const items = _tw_iter(xs);
  const keyed = [];
  for (let i = 0; i < items.length; i++) keyed.push([_key_of(key, items[i]), items[i]]);
  const sign = reverse ? -1 : 1;
  keyed.sort((a, b) => sign * _tw_cmp(a[0], b[0], '<'));
  const out = [];
  for (let i = 0; i < keyed.length; i++) out.push(keyed[i][1]);
  return out;
}
export function _tw_m_sort(xs, key, reverse) {
  if (!Array.isArray(xs)) return _method(xs, 'sort', _rest(arguments));
  const sorted = _tw_sorted(xs, key, reverse);
  for (let i = 0; i < sorted.length; i++) xs[i] = sorted[i];
  return null;
}
function _extreme(name, items, key, d, sign) {
  if (items.length === 0) {
    if (d === undefined) throw ValueError(name + '() iterable argument is empty');
    return d;
  }
  let best = items[0], bestKey = _key_of(key, best);
  for (let i = 1; i < items.length; i++) {
    const k = _key_of(key, items[i]);
    if (sign * _tw_cmp(k, bestKey, sign < 0 ? '<' : '>') > 0) { best = items[i]; bestKey = k; }
  }
  return best;
}
// min(iterable, key=, default=) and min(a, b, ...) (the lowering passes the arguments as a list)
export function _tw_min(items, key, d) { return _extreme('min', _tw_iter(items), key, d, -1); }
export function _tw_max(items, key, d) { return _extreme('max', _tw_iter(items), key, d, 1); }
export function _tw_sum(xs, start) {
  const items = _tw_iter(xs);
  let total = start === undefined ? 0 : start;
  for (let i = 0; i < items.length; i++) total = _tw_add(total, items[i]);
  return total;
}
export function _tw_any(xs) { const items = _tw_iter(xs); for (let i = 0; i < items.length; i++) if (_tw_truth(items[i])) return true; return false; }
export function _tw_all(xs) { const items = _tw_iter(xs); for (let i = 0; i < items.length; i++) if (!_tw_truth(items[i])) return false; return true; }
export function _tw_enumerate(xs, start) {
  const items = _tw_iter(xs);
  const out = [];
  const first = start === undefined ? 0 : start;
  for (let i = 0; i < items.length; i++) { const pair = [first + i, items[i]]; pair.__class__ = tuple; out.push(pair); }
  return out;
}
export function _tw_zip(...lists) {
  const items = lists.map(_tw_iter);
  const n = items.length === 0 ? 0 : Math.min(...items.map((xs) => xs.length));
  const out = [];
  for (let i = 0; i < n; i++) { const row = items.map((xs) => xs[i]); row.__class__ = tuple; out.push(row); }
  return out;
}
export function _tw_range(a, b, c) {
  let start = 0, stop = a, step = 1;
  if (b !== undefined) { start = a; stop = b; }
  if (c !== undefined) step = c;
  if (step === 0) throw ValueError('range() arg 3 must not be zero');
  const out = [];
  if (step > 0) for (let i = start; i < stop; i += step) out.push(i);
  else for (let i = start; i > stop; i += step) out.push(i);
  return out;
}
export function _tw_ord(c) {
  if (typeof c !== 'string') throw _type_error('ord() expected string of length 1, but ' + _typename(c) + ' found');
  const n = _tw_len(c);
  if (n !== 1) throw _type_error('ord() expected a character, but string of length ' + n + ' found');
  return c.codePointAt(0);
}
export function _tw_chr(i) {
  if (typeof i !== 'number' || !Number.isInteger(i)) throw _type_error("'" + _typename(i) + "' object cannot be interpreted as an integer");
  if (i < 0 || i > 0x10ffff) throw ValueError('chr() arg not in range(0x110000)');
  return String.fromCodePoint(i);
}
export function _tw_int(x) {
  if (typeof x === 'boolean') return x ? 1 : 0;
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) throw ValueError('cannot convert float ' + _int_text(x) + ' to integer');
    return Math.trunc(x) || 0;
  }
  if (typeof x === 'string') {
    const t = _strip(x, null, true, true);
    if (!/^[+-]?\d+(?:_\d+)*$/.test(t)) throw ValueError('invalid literal for int() with base 10: ' + _tw_repr(x));
    return parseInt(t.replace(/_/g, ''), 10) || 0;
  }
  throw _type_error("int() argument must be a string, a bytes-like object or a real number, not '" + _typename(x) + "'");
}
export function _tw_bool(x) { return _tw_truth(x); }
export function _tw_isinstance(x, kinds) {
  for (let i = 0; i < kinds.length; i++) {
    switch (kinds[i]) {
      case 'str': if (typeof x === 'string') return true; break;
      case 'bool': if (typeof x === 'boolean') return true; break;
      case 'int': if (typeof x === 'boolean' || (typeof x === 'number' && Number.isInteger(x))) return true; break;
      case 'float': if (typeof x === 'number' && !Number.isInteger(x)) return true; break;
      case 'list': if (Array.isArray(x) && x.__class__ !== tuple && x.__class__ !== set) return true; break;
      case 'tuple': if (Array.isArray(x) && x.__class__ === tuple) return true; break;
      case 'dict': if (_plain(x)) return true; break;
      case 'NoneType': if (x === null || x === undefined) return true; break;
      default: if (isinstance(x, kinds[i])) return true;
    }
  }
  return false;
}
export function _tw_is_str(x) { return typeof x === 'string'; }
export function _tw_is_int(x) { return typeof x === 'boolean' || (typeof x === 'number' && Number.isInteger(x)); }
export function _tw_is_bool(x) { return typeof x === 'boolean'; }
export function _tw_is_list(x) { return Array.isArray(x) && x.__class__ !== tuple && x.__class__ !== set; }
export function _tw_is_dict(x) { return _plain(x); }
export function _tw_typename(x) { return _typename(x); }
