//! Certificates made by the `openssl` binary in a temporary directory.

use super::{openssl, TempDir};
use m2285_tls::TlsSettings;

/// A CA, a server certificate for `server_cn` and a client certificate, all made by OpenSSL.
/// Files: ca.pem ca.key server.pem server.key (PKCS#8) client.pem client.key, plus
/// other-ca.pem (an unrelated CA).
pub struct Pki {
    pub dir: TempDir,
}

impl Pki {
    pub fn new(tag: &str, server_cn: &str) -> Self {
        let dir = TempDir::new(tag);
        let d = dir.path();
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        for (name, cn) in [("ca", "M2285 Test CA"), ("other-ca", "Unrelated CA")] {
            let (key, pem, subj) = (
                format!("{name}.key"),
                format!("{name}.pem"),
                format!("/CN={cn}"),
            );
            let mut args = vec!["req", "-x509"];
            args.extend(ec);
            args.extend([
                "-keyout", &key, "-out", &pem, "-subj", &subj, "-days", "3650",
            ]);
            args.extend([
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ]);
            openssl(d, &args);
        }
        for (name, cn) in [("server", server_cn), ("client", "serial-client-7")] {
            let (key, csr, pem, subj) = (
                format!("{name}.key"),
                format!("{name}.csr"),
                format!("{name}.pem"),
                format!("/CN={cn}"),
            );
            let mut args = vec!["req"];
            args.extend(ec);
            args.extend(["-keyout", &key, "-out", &csr, "-subj", &subj]);
            openssl(d, &args);
            let ext = format!("{name}.ext");
            std::fs::write(
                d.join(&ext),
                format!("subjectAltName=DNS:{cn}\nbasicConstraints=CA:FALSE\n"),
            )
            .unwrap();
            openssl(
                d,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &csr,
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-CAcreateserial",
                    "-out",
                    &pem,
                    "-days",
                    "365",
                    "-extfile",
                    &ext,
                ],
            );
        }
        Pki { dir }
    }

    pub fn file(&self, name: &str) -> Vec<u8> {
        self.dir.read(name)
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_string_lossy().into_owned()
    }
}

pub fn pki_server_settings(pki: &Pki) -> TlsSettings {
    TlsSettings {
        cert_chain_pem: pki.file("server.pem"),
        key_pem: pki.file("server.key"),
        ..TlsSettings::default()
    }
}
