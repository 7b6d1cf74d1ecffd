// A large cluster as `kubectl get pods,services,namespaces,peerauthentications,destinationrules -A -o yaml`
// prints it (one `kind: List`), from a fixed seed: the same text every run.
// Default: 40 namespaces × 10 Deployments × 25 replicas = 10,000 Pods, 400 Services.

/** mulberry32: a tiny deterministic PRNG. */
function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const indent = (text, n) => text.replace(/^/gm, ' '.repeat(n))

export function generateCluster({ seed = 42, namespaces = 40, deployments = 10, replicas = 25 } = {}) {
  const random = rng(seed)
  const hex = (n) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('')
  const items = []
  let pods = 0
  for (let n = 0; n < namespaces; n++) {
    const ns = `team-${String(n).padStart(2, '0')}`
    const injected = random() < 0.8
    items.push(`apiVersion: v1
kind: Namespace
metadata:
  name: ${ns}
  labels:
    kubernetes.io/metadata.name: ${ns}${injected ? '\n    istio-injection: enabled' : ''}`)
    const mode = random()
    if (mode < 0.3) {
      items.push(`apiVersion: security.istio.io/v1beta1
kind: PeerAuthentication
metadata:
  name: default
  namespace: ${ns}
spec:
  mtls:
    mode: ${mode < 0.15 ? 'STRICT' : 'PERMISSIVE'}`)
    }
    for (let d = 0; d < deployments; d++) {
      const app = `svc-${String(d).padStart(2, '0')}`
      const port = random() < 0.5 ? 8080 : 80
      const hash = hex(10)
      const rs = `${app}-${hash}`
      items.push(`apiVersion: v1
kind: Service
metadata:
  name: ${app}
  namespace: ${ns}
  labels:
    app: ${app}
spec:
  type: ClusterIP
  clusterIP: 10.${n}.${d}.1
  ports:
  - name: http
    port: 80
    protocol: TCP
    targetPort: ${port}
  selector:
    app: ${app}`)
      for (let r = 0; r < replicas; r++) {
        const name = `${rs}-${hex(5)}`
        const sidecar = injected && random() < 0.999
        pods++
        items.push(`apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${ns}
  labels:
    app: ${app}
    pod-template-hash: "${hash}"${sidecar ? `\n  annotations:\n    sidecar.istio.io/status: '{"containers":["istio-proxy"]}'` : ''}
  ownerReferences:
  - apiVersion: apps/v1
    kind: ReplicaSet
    name: ${rs}
    controller: true
spec:
  serviceAccountName: ${app}
  containers:
  - name: ${app}
    image: registry.example/${app}:1.${d}
    ports:
    - containerPort: ${port}
      protocol: TCP${sidecar ? `\n  - name: istio-proxy\n    image: docker.io/istio/proxyv2:1.28.0\n    ports:\n    - containerPort: 15090\n      name: http-envoy-prom` : ''}
status:
  phase: Running
  podIP: 10.${n}.${d}.${r + 10}`)
      }
    }
  }
  const text = `apiVersion: v1
kind: List
metadata:
  resourceVersion: ""
items:
${items.map((item) => `- ${indent(item, 2).slice(2)}`).join('\n')}
`
  return { text, pods, namespaces, services: namespaces * deployments }
}
