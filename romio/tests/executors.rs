//! romio under executors that know nothing about it.

use std::time::Duration;

use futures::executor::{LocalPool, ThreadPool, block_on};
use futures::task::{LocalSpawnExt, SpawnExt};
use futures::{AsyncReadExt, AsyncWriteExt};
use romio::{TcpListener, TcpStream};

async fn echo_once(listener: TcpListener) -> std::io::Result<()> {
    let (stream, _) = listener.accept().await?;
    let (mut reader, mut writer) = (&stream, &stream);
    futures::io::copy(&mut reader, &mut writer).await?;
    Ok(())
}

async fn round_trip(addr: std::net::SocketAddr, message: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(message).await?;
    stream.close().await?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).await?;
    Ok(reply)
}

#[test]
fn under_futures_block_on() {
    block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (served, reply) = futures::join!(echo_once(listener), round_trip(addr, b"block_on"));
        served.unwrap();
        assert_eq!(reply.unwrap(), b"block_on");
        romio::time::sleep(Duration::from_millis(1)).await;
    });
}

#[test]
fn under_futures_local_pool() {
    let mut pool = LocalPool::new();
    let listener = block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    pool.spawner()
        .spawn_local(async move { echo_once(listener).await.unwrap() })
        .unwrap();
    let reply = pool.run_until(round_trip(addr, b"local pool")).unwrap();
    assert_eq!(reply, b"local pool");
}

#[test]
fn under_futures_thread_pool() {
    let pool = ThreadPool::builder().pool_size(2).create().unwrap();
    let listener = block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let server = pool
        .spawn_with_handle(async move { echo_once(listener).await })
        .unwrap();
    let clients: Vec<_> = (0..4)
        .map(|i| {
            pool.spawn_with_handle(async move {
                romio::time::sleep(Duration::from_millis(i)).await;
                i
            })
            .unwrap()
        })
        .collect();
    let reply = block_on(
        pool.spawn_with_handle(async move { round_trip(addr, b"thread pool").await })
            .unwrap(),
    )
    .unwrap();
    assert_eq!(reply, b"thread pool");
    block_on(server).unwrap();
    assert_eq!(
        block_on(futures::future::join_all(clients)),
        vec![0, 1, 2, 3]
    );
}
