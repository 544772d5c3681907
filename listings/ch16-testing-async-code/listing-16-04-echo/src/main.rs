// The echo server of asyncio's documentation, with a limit on quiet clients,
// shaped for tests: `serve_client` is given any stream that reads and writes,
// so that a test can give it a scripted one instead of a socket.
use std::io;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt as _, AsyncRead, AsyncWrite, AsyncWriteExt as _, BufReader};
use tokio::net::TcpListener;
use tokio::time::timeout;

/// Where it listens: asyncio's example uses the same port.
const ADDRESS: &str = "127.0.0.1:8888";
/// How long a client may stay quiet before the server hangs up.
const IDLE: Duration = Duration::from_secs(30);

/// Sends back each line the client sends, until the client hangs up or stays
/// quiet for `idle` (then says so, and hangs up). Returns how many lines it
/// sent back.
async fn serve_client<S>(stream: S, idle: Duration) -> io::Result<u64>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut stream = BufReader::new(stream);
    let mut line = String::new();
    let mut echoed = 0;
    loop {
        line.clear();
        // `read_line` is not cancel safe: a line cut off by the deadline is
        // lost. Here that is fine, since the deadline ends the session.
        match timeout(idle, stream.read_line(&mut line)).await {
            Ok(Ok(0)) => return Ok(echoed),
            Ok(Ok(_)) => {
                stream.write_all(line.as_bytes()).await?;
                echoed += 1;
            }
            Ok(Err(error)) => return Err(error),
            Err(_elapsed) => {
                let bye = format!("Quiet for {idle:?}, bye\n");
                stream.write_all(bye.as_bytes()).await?;
                return Ok(echoed);
            }
        }
    }
}

/// Serves each client that connects in a task of its own, forever.
async fn serve(listener: TcpListener, idle: Duration) -> io::Result<()> {
    loop {
        let (stream, peer) = listener.accept().await?;
        tokio::spawn(async move {
            match serve_client(stream, idle).await {
                Ok(lines) => println!("{peer}: {lines} lines echoed"),
                Err(error) => println!("{peer}: {error}"),
            }
        });
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> io::Result<()> {
    let listener = TcpListener::bind(ADDRESS).await?;
    println!("Echoing on {}", listener.local_addr()?);
    serve(listener, IDLE).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::BufStream;
    use tokio::net::TcpStream;
    use tokio::time::Instant;
    use tokio_test::io::Builder;

    const QUIET: Duration = Duration::from_secs(30);

    #[tokio::test]
    async fn each_line_is_sent_back_until_the_client_hangs_up() {
        let client = Builder::new()
            .read(b"hello\n")
            .write(b"hello\n")
            .read(b"world\n")
            .write(b"world\n")
            .build(); // then the end of the stream: the client hung up
        assert_eq!(serve_client(client, QUIET).await.unwrap(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_quiet_client_is_told_and_dropped_after_exactly_30_s() {
        let client = Builder::new()
            .read(b"hello\n")
            .write(b"hello\n")
            .write(b"Quiet for 30s, bye\n")
            .build();
        let start = Instant::now();
        assert_eq!(serve_client(client, QUIET).await.unwrap(), 1);
        assert_eq!(start.elapsed(), QUIET);
    }

    #[tokio::test(start_paused = true)]
    async fn a_line_just_in_time_keeps_the_session() {
        let client = Builder::new()
            .read(b"hello\n")
            .write(b"hello\n")
            .wait(QUIET - Duration::from_millis(1))
            .read(b"again\n")
            .write(b"again\n")
            .build();
        assert_eq!(serve_client(client, QUIET).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn a_failed_write_ends_the_session_with_its_error() {
        let gone = io::Error::new(io::ErrorKind::BrokenPipe, "the client is gone");
        let client = Builder::new().read(b"hello\n").write_error(gone).build();
        let error = serve_client(client, QUIET).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::BrokenPipe);
    }

    #[tokio::test]
    async fn a_real_client_over_tcp() {
        // Port 0: the system picks a free port.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let server = tokio::spawn(serve(listener, QUIET));

        let mut client = BufStream::new(TcpStream::connect(address).await.unwrap());
        client.write_all(b"ping\n").await.unwrap();
        client.flush().await.unwrap();
        let mut echo = String::new();
        client.read_line(&mut echo).await.unwrap();
        assert_eq!(echo, "ping\n");
        server.abort();
    }
}
