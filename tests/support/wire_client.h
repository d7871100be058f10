// A raw protocol peer over a real TCP socket, for tests that play a hostile (or a precise)
// agency against the real server: frames in, messages out, waits that run the event loop.
#pragma once

#include "lottery/protocol/codec.h"

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QHostAddress>
#include <QTcpSocket>
#include <QTimer>

#include <optional>
#include <string>

namespace lottery::testing {

class WireClient
{
public:
    // `local`: the source address (any 127.x.y.z on loopback), so that a test can play peers
    // at several addresses. `receiveBuffer` > 0: the kernel's receive buffer (SO_RCVBUF), small
    // for a peer that means not to read.
    bool connectTo(quint16 port, const QHostAddress &local = QHostAddress(), int receiveBuffer = 0,
        int timeoutMs = 10000)
    {
        if (!local.isNull() && !m_socket.bind(local, 0))
            return false;
        if (receiveBuffer > 0) {
            m_socket.setSocketOption(QAbstractSocket::ReceiveBufferSizeSocketOption, receiveBuffer);
            m_socket.setReadBufferSize(receiveBuffer); // Qt stops reading once it holds this
        }
        m_socket.connectToHost(QHostAddress::LocalHost, port);
        return waitFor(
            [this] { return m_socket.state() == QAbstractSocket::ConnectedState; }, timeoutMs);
    }

    void send(const protocol::Message &message) { sendBytes(protocol::encodeFrame(message)); }
    void sendBytes(const std::string &bytes)
    {
        m_socket.write(bytes.data(), static_cast<qint64>(bytes.size()));
    }

    // The next message; nothing when the peer closed, the stream is bad or time ran out.
    std::optional<protocol::Message> receive(int timeoutMs = 10000)
    {
        std::optional<protocol::Message> received;
        waitFor(
            [&] {
                const QByteArray bytes = m_socket.isOpen() ? m_socket.readAll() : QByteArray();
                m_decoder.feed(bytes.constData(), static_cast<std::size_t>(bytes.size()));
                protocol::Message message;
                const protocol::DecodeStatus status = m_decoder.next(message);
                if (status == protocol::DecodeStatus::Ok)
                    received = std::move(message);
                return status != protocol::DecodeStatus::Incomplete
                    || m_socket.state() == QAbstractSocket::UnconnectedState;
            },
            timeoutMs);
        return received;
    }

    template<typename T> std::optional<T> receiveAs(int timeoutMs = 10000)
    {
        const std::optional<protocol::Message> message = receive(timeoutMs);
        if (!message || !std::holds_alternative<T>(*message))
            return std::nullopt;
        return std::get<T>(*message);
    }

    // Until the server has closed the connection, reading (and dropping) what it sent.
    bool waitForDisconnected(int timeoutMs = 10000, bool read = true)
    {
        return waitFor(
            [this, read] {
                if (read && m_socket.isOpen())
                    m_socket.readAll();
                return m_socket.state() == QAbstractSocket::UnconnectedState;
            },
            timeoutMs);
    }

    // Until everything written has gone to the kernel (or the connection dropped).
    bool waitForWritten(int timeoutMs = 30000)
    {
        return waitFor(
            [this] {
                return m_socket.bytesToWrite() == 0
                    || m_socket.state() == QAbstractSocket::UnconnectedState;
            },
            timeoutMs);
    }

    QTcpSocket &socket() { return m_socket; }

private:
    template<typename Condition> bool waitFor(Condition done, int timeoutMs)
    {
        const QDeadlineTimer deadline(timeoutMs);
        while (!done()) {
            if (deadline.hasExpired())
                return false;
            QEventLoop loop;
            QTimer::singleShot(qMax<qint64>(1, qMin<qint64>(50, deadline.remainingTime())), &loop,
                &QEventLoop::quit);
            QObject::connect(&m_socket, &QTcpSocket::connected, &loop, &QEventLoop::quit);
            QObject::connect(&m_socket, &QTcpSocket::readyRead, &loop, &QEventLoop::quit);
            QObject::connect(&m_socket, &QTcpSocket::bytesWritten, &loop, &QEventLoop::quit);
            QObject::connect(&m_socket, &QTcpSocket::disconnected, &loop, &QEventLoop::quit);
            QObject::connect(&m_socket, &QTcpSocket::errorOccurred, &loop, &QEventLoop::quit);
            loop.exec();
        }
        return true;
    }

    QTcpSocket m_socket;
    protocol::StreamDecoder m_decoder;
};

} // namespace lottery::testing
