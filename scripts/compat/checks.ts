/** What a compatibility step's answer must satisfy: small checks that describe themselves for docs/compat.md. */

/** What curl got back, and what it sent. */
export interface Answer {
  status: number;
  /** The body as received. */
  body: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: unknown;
  /** The request header lines curl sent (from -v), without curl's "> " marker. */
  sent: string[];
}

/** Shell variables of a run: ENGRAM (the server's URL), ADMIN_KEY, and the keys and ids saved from answers. */
export type Vars = Record<string, string>;

export interface Check {
  /** What is checked, as docs/compat.md prints it; names variables ($NEW_MEMORY), never their values. */
  what: string;
  /** Undefined when the answer satisfies the check, else what was found instead. */
  test(answer: Answer, vars: Vars): string | undefined;
}

type Scalar = string | number | boolean | null;

/** The value at a dotted path of the answer's JSON ("results.0.id"); undefined when any part is missing. */
export function pick(value: unknown, path: string): unknown {
  let v = value;
  for (const k of path.split(".")) {
    if (v === null || typeof v !== "object") return undefined;
    v = Array.isArray(v) ? v[Number(k)] : (v as Record<string, unknown>)[k];
  }
  return v;
}

const show = (v: unknown): string => (v === undefined ? "nothing" : JSON.stringify(v));

/** A check of the value at `path`: `ok` says whether it passes. */
function at(path: string, what: string, ok: (v: unknown, vars: Vars) => boolean): Check {
  return {
    what,
    test: (a, vars) => {
      const v = pick(a.json, path);
      return ok(v, vars) ? undefined : show(v);
    },
  };
}

export function status(code: number): Check {
  return { what: `HTTP ${code}`, test: (a) => (a.status === code ? undefined : `HTTP ${a.status}`) };
}

export function eq(path: string, want: Scalar, why = ""): Check {
  return at(path, `\`${path}\` = ${JSON.stringify(want)}${why}`, (v) => v === want);
}

/** The value at `path` is the value of an earlier step's variable. */
export function eqVar(path: string, name: string): Check {
  return at(path, `\`${path}\` = $${name}`, (v, vars) => v === vars[name]);
}

export function neVar(path: string, name: string, why = ""): Check {
  return at(
    path,
    `\`${path}\` is not $${name}${why}`,
    (v, vars) => typeof v === "string" && v !== vars[name],
  );
}

export function match(path: string, re: RegExp, why = ""): Check {
  return at(path, `\`${path}\` matches \`${re}\`${why}`, (v) => typeof v === "string" && re.test(v));
}

export function notMatch(path: string, re: RegExp, why = ""): Check {
  return at(path, `\`${path}\` does not match \`${re}\`${why}`, (v) => typeof v === "string" && !re.test(v));
}

export function count(path: string, n: number, why = ""): Check {
  return at(path, `${n} in \`${path}\`${why}`, (v) => Array.isArray(v) && v.length === n);
}

/** The field `field` of every item of the list at `path`, in order: `apps[].name` = ["claude","default"]. */
export function each(path: string, field: string, want: Scalar[]): Check {
  return {
    what: `\`${path}[].${field}\` = ${JSON.stringify(want)}`,
    test: (a) => {
      const list = pick(a.json, path);
      const got = Array.isArray(list) ? list.map((item) => pick(item, field)) : list;
      return JSON.stringify(got) === JSON.stringify(want) ? undefined : show(got);
    },
  };
}

/** The answer is an object with exactly these fields. */
export function onlyFields(names: string[]): Check {
  return {
    what: `no other fields than ${names.map((n) => `\`${n}\``).join(", ")}`,
    test: (a) => {
      const keys =
        a.json !== null && typeof a.json === "object" && !Array.isArray(a.json) ? Object.keys(a.json) : [];
      return [...keys].sort().join() === [...names].sort().join() ? undefined : show(keys);
    },
  };
}

/** The header line curl sent, or (value null) that curl sent no such header. */
export function sent(header: string, value: string | null): Check {
  const find = (a: Answer) => a.sent.find((l) => l.toLowerCase().startsWith(`${header.toLowerCase()}:`));
  if (value === null) {
    return { what: `curl sent no ${header} header`, test: (a) => find(a) };
  }
  return {
    what: `curl sent \`${header}: ${value}\``,
    test: (a) => {
      const line = find(a);
      return line === `${header}: ${value}` ? undefined : (line ?? "none");
    },
  };
}

/** The value of an earlier step's variable (a memory id, say) appears somewhere in the answer. */
export function has(name: string, why = ""): Check {
  return {
    what: `$${name} in the answer${why}`,
    test: (a, vars) => (vars[name] && a.body.includes(vars[name]) ? undefined : "absent"),
  };
}

export function lacks(name: string, why = ""): Check {
  return {
    what: `$${name} nowhere in the answer${why}`,
    test: (a, vars) => (vars[name] && !a.body.includes(vars[name]) ? undefined : "present"),
  };
}

/** Nothing anywhere in the answer matches `re`. */
export function nowhere(re: RegExp, why = ""): Check {
  return {
    what: `nothing in the answer matches \`${re}\`${why}`,
    test: (a) => re.exec(a.body)?.[0],
  };
}

/** The timestamp at `later` is `seconds` after the one at `earlier` (within a second). */
export function secondsAfter(later: string, earlier: string, seconds: number, why = ""): Check {
  return {
    what: `\`${later}\` is ${seconds} s after \`${earlier}\`${why}`,
    test: (a) => {
      const span = Date.parse(String(pick(a.json, later))) - Date.parse(String(pick(a.json, earlier)));
      return Math.abs(span - seconds * 1000) < 1000 ? undefined : `${span / 1000} s`;
    },
  };
}
