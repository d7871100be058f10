// Both ends of one real loopback TCP connection in this process: `client` and the listener's
// accepted `serverSide` (owned by the listener until someone takes it).
#pragma once

#include <QTcpServer>
#include <QTcpSocket>

namespace lottery::test {

struct LoopbackPair {
    QTcpServer listener;
    QTcpSocket client;
    QTcpSocket *serverSide = nullptr;

    bool listen() { return listener.isListening() || listener.listen(QHostAddress::LocalHost, 0); }

    // Connects the client; the accept follows in acceptServerSide() (apart, so that a test can
    // choose what the kernel has free when the server side's descriptor is handed out).
    bool connectClient()
    {
        if (!listen())
            return false;
        client.connectToHost(QHostAddress::LocalHost, listener.serverPort());
        return client.waitForConnected(5000);
    }

    bool acceptServerSide()
    {
        if (!listener.hasPendingConnections() && !listener.waitForNewConnection(5000))
            return false;
        serverSide = listener.nextPendingConnection();
        return serverSide != nullptr;
    }

    bool open() { return connectClient() && acceptServerSide(); }
};

} // namespace lottery::test
