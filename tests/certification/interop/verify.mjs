// Verify one VC-JWT with did-jwt-vc, resolving our did:web to the DID document given as a file
// (the test server is plain HTTP on a random port, so web-did-resolver's https fetch cannot reach it).
// Usage: node verify.mjs <did.json> <credential.jwt>   -> prints JSON, exit 0 when verified.
import { readFileSync } from 'node:fs'
import { verifyCredential } from 'did-jwt-vc'
import { Resolver } from 'did-resolver'

const [documentPath, tokenPath] = process.argv.slice(2)
const document = JSON.parse(readFileSync(documentPath, 'utf8'))
const token = readFileSync(tokenPath, 'utf8').trim()

const resolver = new Resolver({
  web: async (did) => ({
    didResolutionMetadata: did === document.id ? { contentType: 'application/did+json' } : { error: 'notFound' },
    didDocument: did === document.id ? document : null,
    didDocumentMetadata: {},
  }),
})

async function attempt(options) {
  try {
    const verified = await verifyCredential(token, resolver, options)
    return {
      verified: true,
      issuer: verified.issuer,
      kid: verified.signer.id,
      type: verified.verifiableCredential.type,
      context: verified.verifiableCredential['@context'],
    }
  } catch (error) {
    return { verified: false, error: String(error && error.message ? error.message : error) }
  }
}

// did-jwt-vc 4.x checks the signature, the issuer's DID and nbf/exp, then (policy "format")
// requires the VC 1.1 context URL in @context; an Open Badges 3.0 credential uses VC 2.0's.
const strict = await attempt({})
const vc2 = await attempt({ policies: { format: false } })
console.log(JSON.stringify({ strict, vc2 }))
process.exit(vc2.verified ? 0 : 1)
