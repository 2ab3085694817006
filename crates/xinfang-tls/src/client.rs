//! The pinned client: a rustls verifier that accepts exactly one certificate (by the SHA-256
//! of its DER) and a `ureq` connector that wraps its TCP connections with it.
//!
//! Pinning instead of a certificate authority: the hub and the centre host make their own
//! certificates, and a county has no PKI to sign them. The handshake's signature is still
//! checked against the pinned certificate's key, so a peer that merely replays the certificate
//! without its key gets nowhere. No host name is checked: the pin names the one certificate.
//!
//! When the peer shows another certificate the handshake fails and [`Pinned::refused`] tells
//! which fingerprint it showed, so the caller can record `hub_certificate_mismatch` with both.

use std::{
    io::{Read, Write},
    sync::{Arc, Mutex},
    time::Duration,
};

use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme, StreamOwned,
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature},
    pki_types::{CertificateDer, ServerName, UnixTime},
};
use sha2::{Digest, Sha256};
use ureq::unversioned::{
    resolver::DefaultResolver,
    transport::{
        Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, TcpConnector,
        Transport, TransportAdapter,
    },
};

use crate::format_fingerprint;

/// Accepts the one certificate whose SHA-256 is `pin`.
#[derive(Debug)]
pub struct PinnedVerifier {
    pin: [u8; 32],
    provider: Arc<CryptoProvider>,
    refused: Mutex<Option<String>>,
}

impl PinnedVerifier {
    /// A verifier for `pin`.
    pub fn new(pin: [u8; 32]) -> PinnedVerifier {
        PinnedVerifier {
            pin,
            provider: crate::provider(),
            refused: Mutex::new(None),
        }
    }

    /// The fingerprint of the last certificate refused, if any.
    pub fn refused(&self) -> Option<String> {
        self.refused
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let seen: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
        if seen == self.pin {
            return Ok(ServerCertVerified::assertion());
        }
        let shown = format_fingerprint(&seen);
        *self.refused.lock().unwrap_or_else(|p| p.into_inner()) = Some(shown.clone());
        Err(rustls::Error::General(format!(
            "certificate fingerprint {shown} is not the pinned {}",
            format_fingerprint(&self.pin)
        )))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A rustls client configuration that trusts only `verifier`'s pin.
pub fn client_config(verifier: Arc<PinnedVerifier>) -> Arc<ClientConfig> {
    let mut config = ClientConfig::builder_with_provider(crate::provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    // ureq speaks HTTP/1.1 only.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// A `ureq` agent whose `https://` requests accept only the pinned certificate (plain
/// `http://` requests go as before), and the verifier, to ask what a refused peer showed.
pub struct Pinned {
    /// The agent.
    pub agent: ureq::Agent,
    verifier: Arc<PinnedVerifier>,
}

impl Pinned {
    /// An agent for `pin` with ureq's `config` (timeouts, status handling).
    pub fn new(pin: [u8; 32], config: ureq::config::Config) -> Pinned {
        let verifier = Arc::new(PinnedVerifier::new(pin));
        let connector = TcpConnector::default().chain(PinnedConnector {
            config: client_config(verifier.clone()),
        });
        Pinned {
            agent: ureq::Agent::with_parts(config, connector, DefaultResolver::default()),
            verifier,
        }
    }

    /// The fingerprint the peer showed when it was refused.
    pub fn refused(&self) -> Option<String> {
        self.verifier.refused()
    }
}

/// A `ureq` connector that wraps the chained TCP transport in TLS for `https://` URLs.
#[derive(Debug)]
struct PinnedConnector {
    config: Arc<ClientConfig>,
}

impl<In: Transport> Connector<In> for PinnedConnector {
    type Out = Either<In, PinnedTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else {
            return Ok(None);
        };
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        // The name only fills SNI (not sent for an IP address); the pin decides trust.
        let host = details
            .uri
            .host()
            .unwrap_or("localhost")
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let name = ServerName::try_from(host)
            .map_err(|_| ureq::Error::Tls("invalid host name for TLS"))?;
        let mut conn = ClientConnection::new(self.config.clone(), name)
            .map_err(|e| ureq::Error::Io(std::io::Error::other(e)))?;
        let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        sock.set_timeout(details.timeout);
        conn.complete_io(&mut sock)?;
        let buffers = LazyBuffers::new(
            details.config.input_buffer_size(),
            details.config.output_buffer_size(),
        );
        Ok(Some(Either::B(PinnedTransport {
            buffers,
            stream: StreamOwned { conn, sock },
        })))
    }
}

/// An HTTP/1.1 transport over the pinned TLS stream.
struct PinnedTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl std::fmt::Debug for PinnedTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PinnedTransport").finish_non_exhaustive()
    }
}

impl Transport for PinnedTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let amount = self.stream.read(input)?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}

/// A plain `ureq` agent with a global timeout, for `http://` links (loopback).
pub fn plain_agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into()
}
