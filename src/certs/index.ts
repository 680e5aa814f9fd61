// The certs package's public surface (the daemon's start-up and `joblet certs`, and tests).
export { ensureCertificates, certPaths, serverCertNames, type CertPaths, type EnsureCertificatesOptions, type EnsureCertificatesResult } from './ensure-certificates.js';
export { createCa, issueClientCert, issueServerCert, type CertPem } from './pki.js';
export { CLIENT_ROLES, clientAddress, clientConfigYaml, type ClientRole } from './client-config.js';
export { pairProblem } from './inspect.js';
