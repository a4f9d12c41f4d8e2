// Symbol.dispose for Node versions before 18.18 / 20.4, which lack it: the symbol Node itself uses
// (Symbol.for('nodejs.dispose')), as TypeScript's `using` lowering expects. A no-op where it exists.
(Symbol as { dispose?: symbol }).dispose ??= Symbol.for('nodejs.dispose');
