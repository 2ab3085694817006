//! A seeded fault proxy for the sync tests: it sits on loopback between a desk and the hub and,
//! per HTTP request, by a seeded RNG, passes it, delays it, drops the connection before
//! forwarding, cuts the request or the response after some bytes, sends the request to the hub
//! twice, or holds it back and sends it after a later one (the desk saw a failure; the hub gets
//! a stale request out of order). It can also stall responses while a test kills a process.
//!
//! It understands just enough HTTP/1.1 to find where one request ends (`Content-Length`, or
//! chunked), and asks the hub to close after every answer (`Connection: close`), so a response
//! is everything up to the hub's end of stream.
//!
//! The seed: `XINFANG_FAULT_SEED` if set, else drawn from the time; [`seed`] prints it, and
//! every assertion of the tests that use the proxy carries it, so a failure can be replayed
//! (the schedule is the seed's; which request meets which fault also depends on timing).

use std::{
    io::{Read, Write},
    net::{Shutdown, TcpListener, TcpStream},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU16, AtomicUsize, Ordering},
    },
    time::Duration,
};

use xinfang_core::demo::Rng;

/// The seed from `XINFANG_FAULT_SEED`, or one from the clock; printed either way.
pub fn seed() -> u64 {
    let seed = std::env::var("XINFANG_FAULT_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    eprintln!("fault schedule: XINFANG_FAULT_SEED={seed}");
    seed
}

/// What the proxy did to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Forwarded as it came.
    Pass,
    /// Forwarded after a pause.
    Delay,
    /// Connection closed before anything reached the hub.
    Drop,
    /// Only the first bytes of the request reached the hub.
    CutRequest,
    /// The hub answered; only the first bytes of the answer reached the desk.
    CutResponse,
    /// The hub got the request twice (the desk got one answer).
    Duplicate,
    /// The desk's connection was closed; the hub gets the request after a later one.
    Reorder,
}

const FAULTS: [Fault; 7] = [
    Fault::Pass,
    Fault::Delay,
    Fault::Drop,
    Fault::CutRequest,
    Fault::CutResponse,
    Fault::Duplicate,
    Fault::Reorder,
];

/// How many requests met each fault, in the order of [`Fault`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally(pub [usize; 7]);

impl Tally {
    /// Requests that met anything but [`Fault::Pass`] and [`Fault::Delay`].
    pub fn broken(&self) -> usize {
        self.0[2..].iter().sum()
    }
}

struct Shared {
    upstream: AtomicU16,
    faulty: AtomicBool,
    /// Percentage of requests that meet a fault while `faulty`.
    rate: u64,
    rng: Mutex<Rng>,
    tally: Mutex<Tally>,
    /// Requests held back for [`Fault::Reorder`], sent after the next request that gets through.
    held: Mutex<Vec<Vec<u8>>>,
    /// While set, answers to pushes are read from the hub and kept from the desk.
    stall_pushes: AtomicBool,
    stalled: AtomicUsize,
    /// Pushes that reached the hub (copies included).
    pushes: AtomicUsize,
    stop: AtomicBool,
}

/// A running proxy; stops accepting on drop.
pub struct FaultProxy {
    /// Where desks connect.
    pub port: u16,
    shared: Arc<Shared>,
}

impl FaultProxy {
    /// A proxy to the hub on `upstream`, with faults off, drawing its schedule from `seed`;
    /// `rate` per cent of requests meet a fault once they are switched on.
    pub fn start(upstream: u16, seed: u64, rate: u64) -> FaultProxy {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind the proxy");
        let port = listener.local_addr().expect("address").port();
        listener.set_nonblocking(true).expect("nonblocking");
        let shared = Arc::new(Shared {
            upstream: AtomicU16::new(upstream),
            faulty: AtomicBool::new(false),
            rate,
            rng: Mutex::new(Rng::new(seed)),
            tally: Mutex::new(Tally::default()),
            held: Mutex::new(Vec::new()),
            stall_pushes: AtomicBool::new(false),
            stalled: AtomicUsize::new(0),
            pushes: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
        });
        let accepting = shared.clone();
        std::thread::spawn(move || {
            while !accepting.stop.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let shared = accepting.clone();
                        std::thread::spawn(move || serve(&shared, client));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        FaultProxy { port, shared }
    }

    /// The URL a desk is configured with.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Points the proxy at a hub restarted on another port.
    pub fn set_upstream(&self, port: u16) {
        self.shared.upstream.store(port, Ordering::SeqCst);
    }

    /// Switches the faults on or off. Off, every request passes (held ones are sent first).
    pub fn set_faulty(&self, on: bool) {
        self.shared.faulty.store(on, Ordering::SeqCst);
        if !on {
            flush_held(&self.shared);
        }
    }

    /// While on, a push reaches the hub (which stores it) but its answer is kept from the desk
    /// until this is switched off: the moment to kill a desk that has not heard.
    pub fn set_stall_pushes(&self, on: bool) {
        self.shared.stall_pushes.store(on, Ordering::SeqCst);
    }

    /// How many push answers have been stalled so far.
    pub fn stalled(&self) -> usize {
        self.shared.stalled.load(Ordering::SeqCst)
    }

    /// How many pushes reached the hub so far (copies included).
    pub fn pushes(&self) -> usize {
        self.shared.pushes.load(Ordering::SeqCst)
    }

    /// What happened so far.
    pub fn tally(&self) -> Tally {
        self.shared
            .tally
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.stall_pushes.store(false, Ordering::SeqCst);
    }
}

fn serve(shared: &Shared, mut client: TcpStream) {
    let _ = client.set_nonblocking(false);
    let _ = client.set_read_timeout(Some(Duration::from_secs(30)));
    let Some(request) = read_request(&mut client) else {
        return;
    };
    let (fault, pause, cut) = {
        let mut rng = shared.rng.lock().unwrap_or_else(|p| p.into_inner());
        let fault = if shared.faulty.load(Ordering::SeqCst) && rng.chance(shared.rate) {
            FAULTS[1 + rng.below(FAULTS.len() as u64 - 1) as usize]
        } else {
            Fault::Pass
        };
        (fault, rng.below(400) + 20, rng.next_u64())
    };
    shared.tally.lock().unwrap_or_else(|p| p.into_inner()).0[fault as usize] += 1;
    let is_push = request.starts_with(b"POST /api/v1/push");
    match fault {
        Fault::Pass | Fault::Delay => {
            if fault == Fault::Delay {
                std::thread::sleep(Duration::from_millis(pause));
            }
            if let Some(response) = exchange(shared, &request) {
                stall_if_asked(shared, is_push);
                let _ = client.write_all(&response);
                flush_held(shared);
            }
        }
        Fault::Drop => {}
        Fault::CutRequest => {
            if let Ok(mut hub) = connect(shared) {
                let n = (cut % request.len() as u64) as usize;
                let _ = hub.write_all(&request[..n]);
                let _ = hub.shutdown(Shutdown::Both);
            }
        }
        Fault::CutResponse => {
            if let Some(response) = exchange(shared, &request) {
                let n = (cut % response.len().max(1) as u64) as usize;
                let _ = client.write_all(&response[..n]);
            }
        }
        Fault::Duplicate => {
            // Half the time the copy arrives first, half the time after the answer went back.
            let copy_first = cut.is_multiple_of(2);
            if copy_first {
                let _ = exchange(shared, &request);
            }
            if let Some(response) = exchange(shared, &request) {
                let _ = client.write_all(&response);
            }
            if !copy_first {
                let _ = exchange(shared, &request);
            }
        }
        Fault::Reorder => {
            shared
                .held
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(request);
        }
    }
    let _ = client.shutdown(Shutdown::Both);
}

fn stall_if_asked(shared: &Shared, is_push: bool) {
    if !is_push || !shared.stall_pushes.load(Ordering::SeqCst) {
        return;
    }
    shared.stalled.fetch_add(1, Ordering::SeqCst);
    while shared.stall_pushes.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sends what was held back, each on its own connection, answers discarded.
fn flush_held(shared: &Shared) {
    let held = std::mem::take(&mut *shared.held.lock().unwrap_or_else(|p| p.into_inner()));
    for request in held {
        let _ = exchange(shared, &request);
    }
}

fn connect(shared: &Shared) -> std::io::Result<TcpStream> {
    let hub = TcpStream::connect(("127.0.0.1", shared.upstream.load(Ordering::SeqCst)))?;
    hub.set_read_timeout(Some(Duration::from_secs(60)))?;
    Ok(hub)
}

/// The request to the hub, the whole answer back (`None` if the hub is not there).
fn exchange(shared: &Shared, request: &[u8]) -> Option<Vec<u8>> {
    let mut hub = connect(shared).ok()?;
    hub.write_all(request).ok()?;
    if request.starts_with(b"POST /api/v1/push") {
        shared.pushes.fetch_add(1, Ordering::SeqCst);
    }
    let mut response = Vec::new();
    hub.read_to_end(&mut response).ok()?;
    (!response.is_empty()).then_some(response)
}

/// One request from the client, its head rewritten to `Connection: close`; `None` at the end
/// of the stream or on a malformed request.
fn read_request(client: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = find(&buffer, b"\r\n\r\n") {
            break at + 4;
        }
        let n = client.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let header = |name: &str| {
        head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_ascii_lowercase())
        })
    };
    let chunked = header("transfer-encoding").is_some_and(|v| v.contains("chunked"));
    let length: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    loop {
        let body = &buffer[head_end..];
        let complete = if chunked {
            find(body, b"0\r\n\r\n").is_some_and(|at| at == 0 || body[..at].ends_with(b"\r\n"))
        } else {
            body.len() >= length
        };
        if complete {
            break;
        }
        let n = client.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let mut rewritten = Vec::with_capacity(buffer.len() + 20);
    for line in head.trim_end_matches("\r\n").split("\r\n") {
        let is_connection = line
            .split_once(':')
            .is_some_and(|(key, _)| key.trim().eq_ignore_ascii_case("connection"));
        if !is_connection {
            rewritten.extend_from_slice(line.as_bytes());
            rewritten.extend_from_slice(b"\r\n");
        }
    }
    rewritten.extend_from_slice(b"Connection: close\r\n\r\n");
    rewritten.extend_from_slice(&buffer[head_end..]);
    Some(rewritten)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
