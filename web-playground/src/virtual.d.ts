declare module 'virtual:meshlock-examples' {
  /** The scenario corpus as examples (see scripts/examples-plugin.mjs and src/examples.ts). */
  const examples: unknown[]
  export default examples
}
