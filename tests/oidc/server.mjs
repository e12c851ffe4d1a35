// A real OpenID provider (oidc-provider) for nhiscan's tests, on 127.0.0.1
// over HTTPS with the certificate the Rust test made. Usage:
//   node server.mjs CERT.pem KEY.pem secret|pkjwt
// Prints "LISTENING <port>" once ready. `secret`: client_secret_basic/post
// only; `pkjwt`: private_key_jwt as well; `validate`: two confidential
// clients, one registered for client_secret_basic and one for
// client_secret_post (secrets given as the 4th and 5th arguments), for
// `nhiscan scan --validate`.
import fs from 'node:fs';
import https from 'node:https';
import Provider from 'oidc-provider';

const [cert, key, mode, basicSecret, postSecret, benchClients] = process.argv.slice(2);
// bench/validate.sh: N more confidential clients bench-0 … bench-(N-1), each
// with the secret `bench-secret-<i>-Qx7Nv3Hb6T`.
const bench = Array.from({ length: Number(benchClients || 0) }, (_, i) => ({
  client_id: `bench-${i}`,
  client_secret: `bench-secret-${i}-Qx7Nv3Hb6T`,
  grant_types: ['client_credentials'],
  redirect_uris: [],
  response_types: [],
}));
const server = https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) });

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const methods = ['client_secret_basic', 'client_secret_post'];
  if (mode === 'pkjwt') methods.push('private_key_jwt');
  const provider = new Provider(`https://127.0.0.1:${port}`, {
    clientAuthMethods: methods,
    clients: mode === 'validate' ? [
      {
        client_id: 'billing-service',
        client_secret: basicSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
      },
      {
        client_id: 'reporting-service',
        client_secret: postSecret,
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
      },
      ...bench,
    ] : [{
      client_id: 'service',
      client_secret: 'test-only-client-secret-value',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
    }],
    features: {
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      devInteractions: { enabled: false },
    },
  });
  server.on('request', provider.callback());
  console.log(`LISTENING ${port}`);
});
