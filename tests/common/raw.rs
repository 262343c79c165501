//! Raw protocol helpers: bytes a driver would never send, and reading the backend's
//! answers message by message.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A v3 StartupMessage for user `raw`.
pub fn startup_message() -> Vec<u8> {
    startup_message_with(&[])
}

/// A v3 StartupMessage for user `raw` with more (name, value) parameters.
pub fn startup_message_with(parameters: &[(&str, &str)]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&196_608i32.to_be_bytes());
    body.extend_from_slice(b"user\0raw\0database\0raw\0");
    for (name, value) in parameters {
        for text in [name, value] {
            body.extend_from_slice(text.as_bytes());
            body.push(0);
        }
    }
    body.push(0);
    let mut message = ((body.len() + 4) as i32).to_be_bytes().to_vec();
    message.extend(body);
    message
}

/// Reads backend messages until one with tag `until`; returns (tag, body) pairs.
pub async fn read_until(socket: &mut TcpStream, until: u8) -> Vec<(u8, Vec<u8>)> {
    let mut messages = Vec::new();
    loop {
        let tag = socket.read_u8().await.expect("read a message tag");
        let len = socket.read_i32().await.expect("read a length") as usize;
        let mut body = vec![0; len - 4];
        socket.read_exact(&mut body).await.expect("read a body");
        messages.push((tag, body));
        if tag == until {
            return messages;
        }
    }
}

/// The SQLSTATE (field `C`) of an ErrorResponse body.
pub fn sqlstate(body: &[u8]) -> String {
    body.split(|b| *b == 0)
        .find_map(|f| f.strip_prefix(b"C"))
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .unwrap_or_default()
}

/// A raw socket past startup: ReadyForQuery was read.
pub async fn raw_session(port: u16) -> TcpStream {
    let mut socket = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    socket.write_all(&startup_message()).await.unwrap();
    read_until(&mut socket, b'Z').await;
    socket
}
