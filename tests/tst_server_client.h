// A small test client for the server tests: a QTcpSocket plus protocol::StreamDecoder.
// Its waits run an event loop (never a bare sleep), so an in-process server keeps working.
#pragma once

#include "lottery/protocol/codec.h"

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QTcpSocket>
#include <QTimer>

#include <optional>

class TestClient
{
public:
    bool connectTo(quint16 port, int timeoutMs = 5000)
    {
        m_socket.connectToHost(QStringLiteral("127.0.0.1"), port);
        const QDeadlineTimer deadline(timeoutMs);
        while (m_socket.state() != QAbstractSocket::ConnectedState && !deadline.hasExpired()) {
            if (m_socket.state() == QAbstractSocket::UnconnectedState)
                return false;
            waitForEvent(deadline);
        }
        return m_socket.state() == QAbstractSocket::ConnectedState;
    }

    void send(const lottery::protocol::Message &message)
    {
        sendRaw(lottery::protocol::encodeFrame(message));
    }

    void sendRaw(const std::string &bytes)
    {
        m_socket.write(bytes.data(), static_cast<qint64>(bytes.size()));
        m_socket.flush();
    }

    // The next message, or nothing when the time runs out, the stream is bad or the peer closed.
    std::optional<lottery::protocol::Message> receive(int timeoutMs = 10000)
    {
        const QDeadlineTimer deadline(timeoutMs);
        while (true) {
            const QByteArray bytes = m_socket.readAll();
            m_decoder.feed(bytes.constData(), static_cast<std::size_t>(bytes.size()));
            lottery::protocol::Message message;
            const auto status = m_decoder.next(message);
            if (status == lottery::protocol::DecodeStatus::Ok)
                return message;
            if (status == lottery::protocol::DecodeStatus::Malformed)
                return std::nullopt;
            if (m_socket.state() == QAbstractSocket::UnconnectedState && !m_socket.bytesAvailable())
                return std::nullopt;
            if (deadline.hasExpired())
                return std::nullopt;
            waitForEvent(deadline);
        }
    }

    template<typename T> std::optional<T> receiveAs(int timeoutMs = 10000)
    {
        auto message = receive(timeoutMs);
        if (!message || !std::holds_alternative<T>(*message))
            return std::nullopt;
        return std::get<T>(*message);
    }

    bool waitForDisconnected(int timeoutMs = 10000)
    {
        const QDeadlineTimer deadline(timeoutMs);
        while (m_socket.state() != QAbstractSocket::UnconnectedState && !deadline.hasExpired()) {
            m_socket.readAll(); // keep draining so the server can finish writing
            waitForEvent(deadline);
        }
        return m_socket.state() == QAbstractSocket::UnconnectedState;
    }

    QTcpSocket &socket() { return m_socket; }

private:
    // Runs the event loop until the socket reports something or the deadline passes.
    void waitForEvent(const QDeadlineTimer &deadline)
    {
        QEventLoop loop;
        QTimer timer;
        timer.setSingleShot(true);
        QObject::connect(&timer, &QTimer::timeout, &loop, &QEventLoop::quit);
        QObject::connect(&m_socket, &QTcpSocket::readyRead, &loop, &QEventLoop::quit);
        QObject::connect(&m_socket, &QTcpSocket::disconnected, &loop, &QEventLoop::quit);
        QObject::connect(&m_socket, &QTcpSocket::connected, &loop, &QEventLoop::quit);
        QObject::connect(&m_socket, &QTcpSocket::errorOccurred, &loop, &QEventLoop::quit);
        timer.start(static_cast<int>(qMax<qint64>(1, deadline.remainingTime())));
        loop.exec();
    }

    QTcpSocket m_socket;
    lottery::protocol::StreamDecoder m_decoder;
};

inline lottery::protocol::Bet makeBet(const std::string &first, const std::string &last,
    const std::string &document, std::uint16_t number, const std::string &birthdate = "1990-05-17")
{
    return lottery::protocol::Bet {first, last, document, birthdate, number};
}
