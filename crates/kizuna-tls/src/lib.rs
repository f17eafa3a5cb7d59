//! How kizuna trusts a server it connects to (a domain controller over LDAPS, a
//! PostgreSQL store): the certificates of a CA file when one is given, and only those;
//! else the system's trust store. Server names are always checked; there is no switch
//! to turn verification off.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

/// Why no TLS client could be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{path}: {why}")]
    CaFile { path: PathBuf, why: String },
    #[error("{path}: no PEM certificate in it")]
    EmptyCaFile { path: PathBuf },
    #[error(
        "no trusted roots: the system's certificate store is empty or unreadable; give a CA file"
    )]
    NoRoots,
    #[error("TLS setup: {0}")]
    Setup(String),
}

/// The certificates of a PEM file (a CA bundle).
fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let fail = |why: String| TlsError::CaFile {
        path: path.to_path_buf(),
        why,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| fail(e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| fail(e.to_string()))?;
    if certs.is_empty() {
        return Err(TlsError::EmptyCaFile {
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

/// The system's trust anchors: the Windows certificate store (Trusted Root Certification
/// Authorities of the machine and the user) on Windows, the OpenSSL CA bundle and folder
/// (`SSL_CERT_FILE` / `SSL_CERT_DIR` when set) elsewhere. Unreadable entries are skipped;
/// an empty answer is an error for the caller to name.
fn system_roots() -> Vec<CertificateDer<'static>> {
    rustls_native_certs::load_native_certs().certs
}

/// A TLS client trusting the CA file's certificates only when one is given, else the
/// system's roots.
pub fn client_config(ca_file: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            for c in read_ca_file(path)? {
                roots.add(c).map_err(|e| TlsError::CaFile {
                    path: path.to_path_buf(),
                    why: e.to_string(),
                })?;
            }
        }
        None => {
            let (added, _) = roots.add_parsable_certificates(system_roots());
            if added == 0 {
                return Err(TlsError::NoRoots);
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Setup(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_file_is_read_and_bad_ones_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let ca = rcgen::CertificateParams::new(vec!["kizuna test CA".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let good = dir.path().join("ca.pem");
        std::fs::write(&good, ca.pem()).unwrap();
        assert!(client_config(Some(&good)).is_ok());

        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let e = client_config(Some(&empty)).unwrap_err().to_string();
        assert!(
            e.contains("empty.pem") && e.contains("no PEM certificate"),
            "{e}"
        );
        // Without a CA file, the system's store: Debian's bundle here, the certificate store
        // on Windows.
        assert!(!system_roots().is_empty(), "the system's roots are found");
        assert!(client_config(None).is_ok());

        let missing = dir.path().join("missing.pem");
        let e = client_config(Some(&missing)).unwrap_err().to_string();
        assert!(e.contains("missing.pem"), "{e}");
    }
}
