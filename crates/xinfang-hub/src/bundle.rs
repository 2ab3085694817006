//! USB bundles at the hub: importing a centre's signed bundle with exactly the push rules, and
//! writing a signed bundle back for a centre (its acknowledgement and the county events routed
//! to it). The format and the trust are in `xinfang_sync::bundle`.
//!
//! Who may speak for an origin: the live centre enrolled with it, by the public key it gave at
//! network enrolment or in its first bundle. A centre not yet enrolled may enrol by bundle: the
//! bundle then carries an HMAC proof of the one-time code (never the code itself) bound to the
//! signing key and the origin, and the hash of the credential the desk will use online.
//! Everything is checked before anything is written; a refusal changes nothing.

use serde::Serialize;
use xinfang_sync::{
    PushRequest, Rejected,
    bundle::{self, Contents, HubBundle, SigningKey},
};

use crate::{
    Error, Result,
    hub::{Hub, MAX_BATCH},
    store::{Centre, Tx},
};

/// The most routed events one hub bundle carries; `more` tells the desk another one follows.
pub const MAX_EXPORT_EVENTS: usize = 100_000;

fn refuse(code: &'static str, message: String) -> Error {
    Error::Bundle { code, message }
}

/// The hub's signing key, made (and stored) on first use.
pub(crate) fn hub_key(tx: &mut (dyn Tx + '_)) -> Result<SigningKey> {
    if tx.hub_signing_key()?.is_none() {
        tx.set_hub_signing_key(&crate::secret::new_signing_key()?)?;
    }
    let stored = tx
        .hub_signing_key()?
        .ok_or_else(|| Error::Internal("hub signing key vanished".into()))?;
    let secret = bundle::unhex::<32>(&stored).ok_or_else(|| {
        Error::Internal("the stored hub signing key is not 32 bytes of hex".into())
    })?;
    Ok(bundle::signing_key(secret))
}

/// What importing a centre's bundle did.
#[derive(Debug, Clone, Serialize)]
pub struct BundleImport {
    /// The centre it came from.
    pub centre: Centre,
    /// Whether this bundle enrolled the centre (its first, carrying the code proof).
    pub enrolled_now: bool,
    /// Events in the bundle.
    pub events: usize,
    /// The mark before the import.
    pub acknowledged_before: i64,
    /// The mark after it.
    pub acknowledged: i64,
    /// Seqs of this origin still held above a gap.
    pub held: Vec<i64>,
    /// Events refused (same id with other content, a taken seq, malformed), as a push lists
    /// them.
    pub rejected: Vec<Rejected>,
}

/// What writing a bundle for a centre put in it.
#[derive(Debug, Clone, Serialize)]
pub struct BundleExport {
    /// The centre.
    pub centre: Centre,
    /// The acknowledged mark it carries.
    pub acknowledged: i64,
    /// Routed events in it.
    pub events: usize,
    /// Whether more routed events wait for a next bundle.
    pub more: bool,
    /// Size of the file in bytes.
    pub bytes: usize,
}

impl Hub {
    /// The hub's public key (hex), made on first use.
    pub fn public_key(&mut self) -> Result<String> {
        let mut tx = self.store.begin()?;
        let key = hub_key(&mut *tx)?;
        tx.commit()?;
        Ok(bundle::public_key_hex(&key))
    }

    /// Imports a centre's bundle: refused whole (and nothing changed) unless it is a bundle,
    /// unchanged since signing, for the hub, with every event of its origin, and signed by the
    /// key of the centre holding that origin (or enrolling it with a valid code proof). Then
    /// the events go through [`Hub::push`] in seq order, so the same bundle twice is a no-op.
    pub fn import_bundle(&mut self, bytes: &[u8]) -> Result<BundleImport> {
        let opened = bundle::open(bytes)?;
        let Contents::ToHub(mut contents) = opened.contents else {
            return Err(refuse(
                "bundle_wrong_direction",
                "这是县级枢纽写给接待中心的同步包，应在接待中心用 xinfang bundle import 导入，未做任何更改"
                    .into(),
            ));
        };
        let origin = contents.origin;
        if let Some((idx, event)) = contents
            .events
            .iter()
            .enumerate()
            .find(|(_, e)| e.origin != origin)
        {
            return Err(refuse(
                "bundle_wrong_origin",
                format!(
                    "同步包第 {} 条事件的来源 {} 不是签名的登记簿 {origin}：只能导入签名中心自己的事件，整包已拒绝，未做任何更改",
                    idx + 1,
                    event.origin
                ),
            ));
        }
        let now = self.now();
        let now_instant = self.clock.now();
        let mut tx = self.store.begin()?;
        let code = contents.centre_code.trim().to_owned();
        let (centre, enrolled_now) = match tx.live_centre_with_origin(origin)? {
            Some(centre) => match tx.centre_keys(centre.id)?.public_key {
                Some(key) if bundle::same_secret(&key, &opened.signer) => (centre, false),
                Some(_) => {
                    return Err(refuse(
                        "bundle_wrong_signer",
                        format!(
                            "同步包不是用接待中心 {}（{}）的签名密钥签署的：可能是另一个中心的包或被伪造，已拒绝，未做任何更改",
                            centre.code, centre.name
                        ),
                    ));
                }
                None => {
                    return Err(refuse(
                        "bundle_key_unknown",
                        format!(
                            "县级枢纽还没有接待中心 {} 的签名公钥（该中心注册时的程序较旧）：请该中心联网同步一次，或由县信访局撤销后重新注册，未做任何更改",
                            centre.code
                        ),
                    ));
                }
            },
            None => {
                let not_enrolled = || {
                    refuse(
                        "bundle_not_enrolled",
                        format!(
                            "登记簿 {origin}（中心代码 {code}）尚未在县级枢纽注册，且同步包未附注册码证明：请在接待中心填写县信访局发放的注册码后重新导出，未做任何更改"
                        ),
                    )
                };
                let enrolment = contents.enrolment.clone().ok_or_else(not_enrolled)?;
                if origin.is_nil() || origin == tx.hub_origin()? {
                    return Err(Error::OriginTaken(origin));
                }
                let centre = tx.live_centre_with_code(&code)?.ok_or_else(not_enrolled)?;
                if centre.enrolled_at.is_some() {
                    return Err(refuse(
                        "bundle_wrong_signer",
                        format!(
                            "中心代码 {code} 已由另一个登记簿注册，本同步包的登记簿 {origin} 不是它，已拒绝，未做任何更改"
                        ),
                    ));
                }
                if crate::clock::parse_utc(&centre.enrol_expires_at)
                    .is_none_or(|expires| now_instant >= expires)
                {
                    return Err(Error::EnrolCodeExpired {
                        at: centre.enrol_expires_at,
                    });
                }
                let keys = tx.centre_keys(centre.id)?;
                let expected = bundle::code_proof(&keys.enrol_code_hash, &opened.signer, origin);
                if !bundle::same_secret(&expected, &enrolment.code_proof) {
                    return Err(refuse(
                        "bundle_enrolment_refused",
                        format!(
                            "同步包所附的注册码证明不对：注册码有误，或不是县信访局发给中心 {code} 的，已拒绝，未做任何更改"
                        ),
                    ));
                }
                if bundle::unhex::<32>(&enrolment.credential_hash).is_none() {
                    return Err(refuse(
                        "bundle_corrupt",
                        "同步包所附的接入凭证摘要格式不对，已拒绝，未做任何更改".into(),
                    ));
                }
                tx.set_enrolled(centre.id, origin, &enrolment.credential_hash, &now)?;
                let hub_key = bundle::public_key_hex(&hub_key(&mut *tx)?);
                let proof = bundle::enrolment_proof(&keys.enrol_code_hash, &hub_key, origin);
                tx.set_centre_key(centre.id, &opened.signer, Some(&proof))?;
                let centre = tx
                    .centre(centre.id)?
                    .ok_or_else(|| Error::Internal("centre vanished".into()))?;
                (centre, true)
            }
        };
        // The desk names the event it holds at its cursor. If this hub has another one there,
        // it was restored from an older backup and gave that cursor to a new event: the next
        // bundle back starts from the beginning (the desk takes each event once, by id),
        // rather than after a cursor that would skip what was re-issued.
        let cursor = contents.pull_cursor.max(0);
        let here = match contents.pull_anchor {
            Some(_) if cursor > 0 => tx
                .routed(centre.id, cursor - 1, 1)?
                .into_iter()
                .next()
                .filter(|r| r.cursor == cursor)
                .map(|r| r.event.id),
            _ => None,
        };
        if contents.pull_anchor.is_some() && cursor > 0 && here != contents.pull_anchor {
            tx.reset_bundle_cursor(centre.id)?;
        } else {
            tx.set_bundle_cursor(centre.id, cursor)?;
        }
        let before = tx.mark(origin)?;
        tx.commit()?;

        let count = contents.events.len();
        contents.events.sort_by_key(|e| e.seq);
        let mut rejected = Vec::new();
        let mut acknowledged = before;
        // The push rules, once: a batch at a time so each stays a bounded transaction. A crash
        // half-way leaves whole batches, and importing the bundle again finishes it.
        for chunk in contents.events.chunks(MAX_BATCH) {
            let answer = self.push(
                &centre,
                PushRequest {
                    events: chunk.to_vec(),
                },
            )?;
            acknowledged = answer.acknowledged;
            rejected.extend(answer.rejected);
        }
        let held = self.store.begin()?.held_seqs(origin)?;
        Ok(BundleImport {
            centre,
            enrolled_now,
            events: count,
            acknowledged_before: before,
            acknowledged,
            held,
            rejected,
        })
    }

    /// Writes a signed bundle for the live centre with `code`: the hub's mark of its origin and
    /// up to [`MAX_EXPORT_EVENTS`] county events routed to it after the cursor it last reported.
    pub fn export_bundle(&mut self, code: &str) -> Result<(Vec<u8>, BundleExport)> {
        let created_at = self.now();
        let mut tx = self.store.begin()?;
        let centre = tx
            .live_centre_with_code(code.trim())?
            .ok_or_else(|| Error::NotFound {
                what: "在用的接待中心",
                id: code.trim().to_owned(),
            })?;
        let Some(origin) = centre.origin else {
            return Err(refuse(
                "bundle_not_enrolled",
                format!(
                    "接待中心 {} 尚未注册（未联网注册，也未导入过带注册码证明的同步包），无法为其写同步包",
                    centre.code
                ),
            ));
        };
        let keys = tx.centre_keys(centre.id)?;
        let acknowledged = tx.mark(origin)?;
        let mut events = tx.routed(centre.id, keys.bundle_cursor, MAX_EXPORT_EVENTS + 1)?;
        let more = events.len() > MAX_EXPORT_EVENTS;
        events.truncate(MAX_EXPORT_EVENTS);
        let key = hub_key(&mut *tx)?;
        let hub_origin = tx.hub_origin()?;
        tx.commit()?;
        let count = events.len();
        let contents = Contents::ToCentre(HubBundle {
            hub_origin,
            centre_id: centre.id,
            centre_origin: origin,
            created_at,
            acknowledged,
            enrolment_proof: keys.enrol_proof,
            events,
            more,
        });
        let bytes = bundle::seal(&contents, &key)?;
        let summary = BundleExport {
            centre,
            acknowledged,
            events: count,
            more,
            bytes: bytes.len(),
        };
        Ok((bytes, summary))
    }
}
