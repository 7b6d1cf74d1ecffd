// The YAML editor: CodeMirror 6, one tab per source (like several `-f` files), the engine's
// diagnostics as lint markers at their line and column.
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands'
import { yaml } from '@codemirror/lang-yaml'
import { bracketMatching, defaultHighlightStyle, foldGutter, indentOnInput, syntaxHighlighting } from '@codemirror/language'
import { type Diagnostic as CmDiagnostic, lintGutter, setDiagnostics } from '@codemirror/lint'
import { EditorState, type Extension, type Text } from '@codemirror/state'
import { EditorView, drawSelection, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers } from '@codemirror/view'
import type { Diagnostic } from 'meshlock-wasm'
import type { SourceState } from './state'

const SHADOW_CSS = `
:host { display: flex; }
.editor-root { flex: 1; display: flex; min-width: 0; min-height: 0; }
.cm-editor { flex: 1; height: 100%; font-size: 13px; }
.cm-editor.cm-focused { outline: 2px solid #0072b2; outline-offset: -2px; }
.cm-scroller { overflow: auto; font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, monospace; }
`

interface Tab {
  source: SourceState
  state: EditorState
}

/** The document's start line for 0-based `document` (YAML `---` separators); 1 when unknown. */
export function documentStartLine(doc: Text, document: number): number {
  if (document <= 0) return 1
  let seen = 0
  for (let n = 1; n <= doc.lines; n++) {
    if (/^---(\s|$)/.test(doc.line(n).text)) {
      // A separator on line 1 opens document 0.
      if (n === 1) continue
      seen++
      if (seen === document) return Math.min(n + 1, doc.lines)
    }
  }
  return 1
}

/** A meshlock diagnostic as a CodeMirror one, placed at its line and column (clamped). */
export function toCmDiagnostic(doc: Text, d: Diagnostic): CmDiagnostic {
  const lineNo = d.line ?? (d.document !== null ? documentStartLine(doc, d.document) : 1)
  const line = doc.line(Math.min(Math.max(lineNo, 1), doc.lines))
  const from = d.column ? line.from + Math.min(d.column - 1, line.length) : line.from
  const rest = doc.sliceString(from, line.to)
  const word = /^\S+/.exec(rest)?.[0].length ?? 0
  const to = d.column ? from + Math.max(word, 0) : line.to
  const where = d.path ? ` (at ${d.path})` : ''
  return {
    from,
    to: Math.max(to, from),
    severity: d.severity === 'error' ? 'error' : d.severity === 'warning' ? 'warning' : 'info',
    source: `${d.code} ${d.name}`,
    message: `${d.message}${where}${d.help ? `\nhelp: ${d.help}` : ''}`,
  }
}

export class SourceEditor {
  readonly view: EditorView
  private tabs: Tab[] = []
  private active = 0
  private diagnostics: Diagnostic[] = []
  private seedText = ''
  private silent = false

  constructor(
    parent: HTMLElement,
    private readonly tabBar: HTMLElement,
    private readonly onChange: (sources: SourceState[], tab: number) => void,
  ) {
    // The editor lives in a shadow root: there CodeMirror's styles are constructed stylesheets
    // (adoptedStyleSheets), which the strict CSP allows, instead of inline <style> elements.
    const shadow = parent.attachShadow({ mode: 'open' })
    const sheet = new CSSStyleSheet()
    sheet.replaceSync(SHADOW_CSS)
    shadow.adoptedStyleSheets = [sheet]
    const host = document.createElement('div')
    host.className = 'editor-root'
    shadow.appendChild(host)
    this.view = new EditorView({ parent: host, root: shadow, state: this.newState('') })
    tabBar.addEventListener('click', (event) => this.onTabClick(event))
  }

  private extensions(): Extension[] {
    return [
      lineNumbers(),
      highlightActiveLineGutter(),
      foldGutter(),
      lintGutter(),
      history(),
      drawSelection(),
      indentOnInput(),
      bracketMatching(),
      highlightActiveLine(),
      syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
      yaml(),
      keymap.of([indentWithTab, ...defaultKeymap, ...historyKeymap]),
      EditorView.contentAttributes.of({ 'aria-label': 'YAML input' }),
      EditorView.updateListener.of((update) => {
        if (update.docChanged && !this.silent) {
          const tab = this.tabs[this.active]
          if (tab) {
            tab.state = update.state
            if (tab.source.builtin) {
              // An edited built-in cluster becomes inline YAML.
              delete tab.source.builtin
            }
          }
          this.renderTabs()
          this.onChange(this.sources(), this.active)
        }
      }),
    ]
  }

  private newState(text: string, readOnly = false): EditorState {
    const extensions = this.extensions()
    if (readOnly) extensions.push(EditorState.readOnly.of(true))
    return EditorState.create({ doc: text, extensions })
  }

  setSeedText(text: string): void {
    this.seedText = text
  }

  /** Replaces every tab (an example, a tour step, a shared link). */
  setSources(sources: SourceState[], active: number): void {
    this.tabs = sources.map((source) => ({
      source: { ...source },
      state:
        source.file !== undefined
          ? this.newState(filePlaceholder(source.name, source.file), true)
          : this.newState(source.builtin === 'seed' ? this.seedText : (source.text ?? '')),
    }))
    if (this.tabs.length === 0) this.tabs.push({ source: { name: 'input.yaml', text: '' }, state: this.newState('') })
    this.show(Math.min(Math.max(active, 0), this.tabs.length - 1))
  }

  sources(): SourceState[] {
    return this.tabs.map(({ source, state }) => {
      if (source.builtin === 'seed') return { name: source.name, builtin: 'seed' }
      if (source.file !== undefined) return source.namespace ? { name: source.name, file: source.file, namespace: source.namespace } : { name: source.name, file: source.file }
      const out: SourceState = { name: source.name, text: state.doc.toString() }
      if (source.namespace) out.namespace = source.namespace
      return out
    })
  }

  get activeTab(): number {
    return this.active
  }

  private show(index: number): void {
    const tab = this.tabs[index]
    if (!tab) return
    this.active = index
    this.silent = true
    this.view.setState(tab.state)
    this.applyDiagnostics()
    this.silent = false
    this.renderTabs()
  }

  /** Markers for the diagnostics of every tab (by source name). */
  setDiagnostics(diagnostics: Diagnostic[]): void {
    this.diagnostics = diagnostics
    this.applyDiagnostics()
    this.renderTabs()
  }

  private markersFor(source: SourceState, doc: Text): CmDiagnostic[] {
    // A file the editor does not hold: its lines are not the placeholder's.
    if (source.file !== undefined) return []
    return this.diagnostics.filter((d) => d.source === source.name).map((d) => toCmDiagnostic(doc, d))
  }

  private applyDiagnostics(): void {
    this.tabs.forEach((tab, i) => {
      if (i === this.active) {
        this.silent = true
        this.view.dispatch(setDiagnostics(this.view.state, this.markersFor(tab.source, this.view.state.doc)))
        tab.state = this.view.state
        this.silent = false
      } else {
        tab.state = tab.state.update(setDiagnostics(tab.state, this.markersFor(tab.source, tab.state.doc))).state
      }
    })
  }

  /** Shows the tab of `source` and puts the cursor at the diagnostic's place. */
  reveal(d: Diagnostic): void {
    const index = this.tabs.findIndex((t) => t.source.name === d.source)
    if (index < 0) return
    if (index !== this.active) this.show(index)
    const marker = toCmDiagnostic(this.view.state.doc, d)
    this.view.dispatch({ selection: { anchor: marker.from, head: marker.to }, scrollIntoView: true })
    this.view.focus()
  }

  private onTabClick(event: MouseEvent): void {
    const target = event.target as HTMLElement
    const button = target.closest<HTMLElement>('[data-action]')
    if (!button) return
    const index = Number(button.dataset['index'])
    switch (button.dataset['action']) {
      case 'show':
        this.show(index)
        this.onChange(this.sources(), this.active)
        break
      case 'close':
        if (this.tabs.length > 1) {
          this.tabs.splice(index, 1)
          this.show(Math.min(this.active, this.tabs.length - 1))
          this.onChange(this.sources(), this.active)
        }
        break
      case 'add': {
        let n = this.tabs.length + 1
        while (this.tabs.some((t) => t.source.name === `input-${n}.yaml`)) n++
        this.tabs.push({ source: { name: `input-${n}.yaml`, text: '' }, state: this.newState('') })
        this.show(this.tabs.length - 1)
        this.onChange(this.sources(), this.active)
        this.view.focus()
        break
      }
    }
  }

  /** The namespace for documents without one in the active tab (`kubectl apply -n`). */
  setNamespace(namespace: string): void {
    const tab = this.tabs[this.active]
    if (!tab || tab.source.builtin) return
    if (namespace) tab.source.namespace = namespace
    else delete tab.source.namespace
    this.renderTabs()
    this.onChange(this.sources(), this.active)
  }

  activeSource(): SourceState | undefined {
    return this.tabs[this.active]?.source
  }

  private renderTabs(): void {
    const frag = document.createDocumentFragment()
    this.tabs.forEach((tab, i) => {
      const counts = { error: 0, warning: 0 }
      for (const d of this.diagnostics) {
        if (d.source === tab.source.name && (d.severity === 'error' || d.severity === 'warning')) counts[d.severity]++
      }
      const wrap = document.createElement('span')
      wrap.className = `tab${i === this.active ? ' active' : ''}`
      wrap.setAttribute('role', 'presentation')
      const button = document.createElement('button')
      button.type = 'button'
      button.className = 'tab-name'
      button.setAttribute('role', 'tab')
      button.setAttribute('aria-selected', String(i === this.active))
      button.dataset['action'] = 'show'
      button.dataset['index'] = String(i)
      button.textContent = tab.source.name + (tab.source.namespace ? `  -n ${tab.source.namespace}` : '')
      if (counts.error) button.dataset['errors'] = String(counts.error)
      if (counts.error || counts.warning) {
        const badge = document.createElement('span')
        badge.className = counts.error ? 'badge badge-error' : 'badge badge-warning'
        badge.textContent = String(counts.error || counts.warning)
        badge.dataset['action'] = 'show'
        badge.dataset['index'] = String(i)
        button.appendChild(badge)
      }
      wrap.appendChild(button)
      if (this.tabs.length > 1) {
        const close = document.createElement('button')
        close.type = 'button'
        close.className = 'tab-close'
        close.dataset['action'] = 'close'
        close.dataset['index'] = String(i)
        close.setAttribute('aria-label', `close ${tab.source.name}`)
        close.textContent = '×'
        wrap.appendChild(close)
      }
      frag.appendChild(wrap)
    })
    const add = document.createElement('button')
    add.type = 'button'
    add.className = 'tab-add'
    add.dataset['action'] = 'add'
    add.setAttribute('aria-label', 'add a source')
    add.textContent = '+'
    frag.appendChild(add)
    this.tabBar.replaceChildren(frag)
  }
}

/** What the editor shows for a file it does not hold: too large, or not UTF-8 text (the engine
 * reads the file itself). */
export function filePlaceholder(name: string, bytes: number): string {
  const size = bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${bytes} bytes`
  return `# ${name}: ${size}, opened from disk.\n# Too large to edit here, or not UTF-8: the engine reads the file itself (nothing is uploaded).\n# Its diagnostics are listed below the editor; open a smaller file or paste YAML to edit.\n`
}
