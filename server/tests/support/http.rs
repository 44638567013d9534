//! A tiny HTTP/1.1 client for the relay's JSON API: one connection per request
//! (`Connection: close`), the whole answer read to the end, bodies parsed as JSON.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long one request may take before the test fails.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(20);

/// A parsed answer.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// Header names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as `T`; panics with the status and body when it is not.
    pub fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {}: body is not the expected JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A request to send.
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl Request {
    pub fn new(method: &str, path: impl Into<String>) -> Self {
        Self {
            method: method.to_string(),
            path: path.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer(self, token: &str) -> Self {
        self.header("Authorization", &format!("Bearer {token}"))
    }

    /// A JSON body with its content type.
    pub fn json(self, body: &impl Serialize) -> Self {
        self.header("Content-Type", "application/json")
            .body(serde_json::to_vec(body).unwrap())
    }

    /// Raw body bytes; no content type is added.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    pub async fn send(self, addr: SocketAddr) -> Response {
        tokio::time::timeout(REQUEST_DEADLINE, self.exchange(addr))
            .await
            .unwrap_or_else(|_| panic!("no answer within {REQUEST_DEADLINE:?}"))
    }

    async fn exchange(self, addr: SocketAddr) -> Response {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n",
            self.method, self.path
        );
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        let body = self.body.unwrap_or_default();
        if !body.is_empty() || matches!(self.method.as_str(), "POST" | "PATCH" | "PUT") {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let mut stream = TcpStream::connect(addr).await.expect("relay accepts");
        let mut request = head.into_bytes();
        request.extend_from_slice(&body);
        // The relay may answer (413) and close before reading everything: a failed write then
        // still leaves its answer to read.
        let _ = stream.write_all(&request).await;
        let mut raw = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) => break,
                Ok(n) => raw.extend_from_slice(&chunk[..n]),
                // A reset after the answer arrived (unread request bytes) ends the answer.
                Err(e) if !raw.is_empty() => {
                    let _ = e;
                    break;
                }
                Err(e) => panic!("reading the answer: {e}"),
            }
        }
        parse(&raw)
    }
}

fn parse(raw: &[u8]) -> Response {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete head in {:?}", String::from_utf8_lossy(raw)));
    let head = std::str::from_utf8(&raw[..end]).expect("the head is text");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let rest = &raw[end + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else if let Some(length) = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
    {
        assert!(rest.len() >= length, "body shorter than its Content-Length");
        rest[..length].to_vec()
    } else {
        rest.to_vec()
    };
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size_text = std::str::from_utf8(&data[..line_end]).unwrap();
        let size_text = size_text.split(';').next().unwrap().trim();
        let size = usize::from_str_radix(size_text, 16).expect("hex chunk size");
        data = &data[line_end + 2..];
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// Shorthands for the API's usual calls.
#[derive(Debug, Clone, Copy)]
pub struct Api {
    pub addr: SocketAddr,
}

impl Api {
    pub fn new(addr: SocketAddr) -> Self {
        Self { addr }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        with_token(Request::new("GET", path), token)
            .send(self.addr)
            .await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Response {
        with_token(Request::new("DELETE", path), token)
            .send(self.addr)
            .await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &impl Serialize) -> Response {
        with_token(Request::new("POST", path), token)
            .json(body)
            .send(self.addr)
            .await
    }

    /// A POST without a body.
    pub async fn post_empty(&self, path: &str, token: Option<&str>) -> Response {
        with_token(Request::new("POST", path), token)
            .send(self.addr)
            .await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &impl Serialize) -> Response {
        with_token(Request::new("PATCH", path), token)
            .json(body)
            .send(self.addr)
            .await
    }
}

fn with_token(request: Request, token: Option<&str>) -> Request {
    match token {
        Some(token) => request.bearer(token),
        None => request,
    }
}
