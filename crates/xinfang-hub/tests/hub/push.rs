//! Push: shuffled batches with duplicates and a gap are stored once, acknowledged up to the
//! gap and beyond it when it fills; a changed event is refused and the stored one stays;
//! user events keep their password hashes at home.

use serde_json::json;
use xinfang_sync::contiguous_mark;

use crate::support::{
    Hub, Rng, admin, column, count, database_url, enrolled, event, events, seed, value,
};

#[test]
fn shuffled_batches_with_duplicates_and_a_gap_are_stored_once() {
    let seed = seed();
    let mut rng = Rng(seed);
    let dir = crate::support::data_dir();
    let hub = Hub::start(dir.path());
    let centre = enrolled(&hub, "XF3301", 0xA);
    let gap = 23;
    let mut order: Vec<i64> = (1..=50).filter(|s| *s != gap).collect();
    rng.shuffle(&mut order);
    let mut sent: Vec<i64> = Vec::new();
    while !order.is_empty() {
        let take = (1 + rng.below(8)).min(order.len());
        let mut batch: Vec<i64> = order.drain(..take).collect();
        // Duplicates: events sent before, and the same event twice in one batch.
        for _ in 0..rng.below(4) {
            if !sent.is_empty() {
                batch.push(sent[rng.below(sent.len())]);
            }
        }
        batch.push(batch[0]);
        rng.shuffle(&mut batch);
        sent.extend(&batch);
        let (status, body) = hub.push(&centre.credential, &events(centre.origin, batch.clone()));
        assert_eq!(status, 200, "seed {seed}: {body}");
        let expected = contiguous_mark(0, sent.clone());
        assert_eq!(
            body["acknowledged"], expected,
            "seed {seed}, batch {batch:?}"
        );
        assert_eq!(
            body["rejected"],
            json!([]),
            "seed {seed}: duplicates are no-ops"
        );
        let mut held: Vec<i64> = batch.iter().copied().filter(|s| *s > expected).collect();
        held.sort_unstable();
        held.dedup();
        assert_eq!(body["held"], json!(held), "seed {seed}");
    }
    let (_, mark) = hub.get("/api/v1/mark", Some(&centre.credential));
    assert_eq!(
        mark["acknowledged"],
        gap - 1,
        "seed {seed}: the mark stops at the gap"
    );
    assert_eq!(count(&hub.data, "SELECT count(*) FROM held"), 50 - gap);
    assert_eq!(count(&hub.data, "SELECT count(*) FROM events"), gap - 1);

    let (status, body) = hub.push(&centre.credential, &[event(centre.origin, gap)]);
    assert_eq!(status, 200);
    assert_eq!(body["acknowledged"], 50, "seed {seed}: the gap filled");
    assert_eq!(body["held"], json!([]));
    assert_eq!(count(&hub.data, "SELECT count(*) FROM held"), 0);
    assert_eq!(
        count(&hub.data, "SELECT count(DISTINCT id) FROM events"),
        50
    );
    assert_eq!(count(&hub.data, "SELECT count(*) FROM events"), 50);
    // An event enters the hub's order only once everything before it is there.
    let seqs: Vec<i64> = column(&hub.data, "SELECT seq FROM events ORDER BY cursor");
    assert_eq!(seqs, (1..=50).collect::<Vec<_>>());
    let cursors: Vec<i64> = column(&hub.data, "SELECT cursor FROM events ORDER BY cursor");
    assert_eq!(
        cursors,
        (1..=50).collect::<Vec<_>>(),
        "no gap in the hub's order"
    );

    let (status, body) = hub.push(&centre.credential, &events(centre.origin, 1..=50));
    assert_eq!((status, &body["acknowledged"]), (200, &json!(50)));
    assert_eq!(body["rejected"], json!([]));
    assert_eq!(
        count(&hub.data, "SELECT count(*) FROM events"),
        50,
        "nothing twice"
    );
}

#[test]
fn the_same_id_with_a_different_payload_is_rejected_and_the_stored_one_stays() {
    let dir = crate::support::data_dir();
    let hub = Hub::start(dir.path());
    let centre = enrolled(&hub, "XF3301", 0xA);
    let (status, _) = hub.push(&centre.credential, &events(centre.origin, 1..=3));
    assert_eq!(status, 200);
    let stored_payload = |seq: i64| -> String {
        value(
            &hub.data,
            &format!("SELECT CAST(payload AS TEXT) FROM events WHERE seq = {seq}"),
        )
    };
    let before = stored_payload(2);

    let mut edited = event(centre.origin, 2);
    edited.payload = json!({"matter_id": "m2", "summary": "改过的内容"}).into();
    let (status, body) = hub.push(
        &centre.credential,
        &[edited.clone(), event(centre.origin, 4)],
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["acknowledged"], 4,
        "the rest of the batch still counts"
    );
    let rejected = &body["rejected"][0];
    assert_eq!(rejected["id"], json!(edited.id));
    assert_eq!(rejected["seq"], 2);
    assert_eq!(rejected["code"], "conflicting_event");
    assert!(
        rejected["message"]
            .as_str()
            .expect("message")
            .contains("内容不同"),
        "{rejected}"
    );
    assert_eq!(stored_payload(2), before, "the stored event is unchanged");
    assert_eq!(count(&hub.data, "SELECT count(*) FROM events"), 4);
    assert!(!before.contains("改过的内容"));

    let log = admin(&hub.data, &["log", "--centre", &centre.id.to_string()]);
    assert!(log.contains("conflicting_event"), "{log}");
}

#[test]
fn user_events_never_leave_their_password_hash_at_the_hub() {
    let dir = crate::support::data_dir();
    let hub = Hub::start(dir.path());
    let centre = enrolled(&hub, "XF3301", 0xA);
    let secret = "$argon2id$v=19$m=19456,t=2,p=1$SALTSALTSALT$HASHHASHHASH";
    let mut batch = events(centre.origin, 1..=3);
    batch[1].kind = "user.created".into();
    batch[1].payload = json!({"username": "clerk1", "password_hash": secret}).into();
    batch[2].kind = "user.password_changed".into();
    batch[2].payload = json!({"user_id": "u1", "password_hash": secret}).into();
    assert!(!xinfang_sync::is_syncable(&batch[1].kind));
    let (status, body) = hub.push(&centre.credential, &batch);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["acknowledged"], 3,
        "their place in the sequence is kept"
    );
    assert_eq!(
        count(
            &hub.data,
            "SELECT count(*) FROM events WHERE CAST(payload AS TEXT) = 'null'"
        ),
        2
    );
    assert_eq!(
        count(
            &hub.data,
            "SELECT count(*) FROM events WHERE CAST(payload AS TEXT) LIKE '%SALTSALT%'"
        ),
        0
    );
    drop(hub);
    // On PostgreSQL the query above is the whole look; and nothing went to a hub.db instead.
    let on_postgres = database_url(dir.path()).is_some();
    assert_eq!(dir.path().join("hub.db").exists(), !on_postgres);
    for file in ["hub.db", "hub.db-wal"] {
        let bytes = std::fs::read(dir.path().join(file)).unwrap_or_default();
        let found = bytes.windows(12).any(|w| w == b"SALTSALTSALT");
        assert!(!found, "{file} holds the hash");
    }
    let payload = dir.path().join("user.json");
    std::fs::write(&payload, r#"{"username": "county-admin"}"#).expect("write");
    let err = crate::support::admin_fails(
        dir.path(),
        &[
            "publish",
            "--to",
            "all",
            "--kind",
            "user.created",
            "--payload",
            payload.to_str().expect("path"),
        ],
    );
    assert_eq!(err["code"], "not_syncable", "{err}");
}
