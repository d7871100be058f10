#include "server/health_check.h"

#include <QDeadlineTimer>
#include <QHostAddress>
#include <QSslSocket>

#include <cstdio>

namespace lottery::server {

namespace {

// A probe that hangs is worse than one that fails: Docker's own timeout is 3 s.
constexpr int kProbeTimeoutMs = 2500;
// The status line and headers of /readyz's answer fit in this (its body is one short line).
constexpr qint64 kMaxAnswerBytes = 4096;

// Reads until the peer closes, the answer is whole or too long, or the deadline passes.
QByteArray readAnswer(QSslSocket &socket, const QDeadlineTimer &deadline)
{
    QByteArray answer;
    while (answer.size() < kMaxAnswerBytes && !deadline.hasExpired()) {
        if (socket.bytesAvailable() == 0
            && !socket.waitForReadyRead(static_cast<int>(deadline.remainingTime())))
            break;
        answer += socket.read(kMaxAnswerBytes - answer.size());
        const qsizetype headerEnd = answer.indexOf("\r\n\r\n");
        if (headerEnd >= 0 && answer.indexOf('\n', headerEnd + 4) >= 0)
            break; // the body is one line
    }
    return answer;
}

} // namespace

QString healthCheckHost(const ServerConfig &config)
{
    const QHostAddress address(config.adminIp);
    if (address == QHostAddress::AnyIPv6)
        return QStringLiteral("::1");
    if (address == QHostAddress::AnyIPv4 || address == QHostAddress::Any)
        return QStringLiteral("127.0.0.1");
    return config.adminIp;
}

bool healthCheckUsesTls(const ServerConfig &config)
{
    return config.tlsEnabled() && !QHostAddress(config.adminIp).isLoopback();
}

int runHealthCheck(const ServerConfig &config)
{
    if (!config.adminEnabled() || config.adminPort == 0) {
        std::fputs("health-check: SERVER_ADMIN_PORT is not set to a fixed port\n", stderr);
        return 1;
    }
    const bool tls = healthCheckUsesTls(config);
    const QString host = healthCheckHost(config);
    const QString url = QStringLiteral("%1://%2:%3/readyz")
                            .arg(tls ? QStringLiteral("https") : QStringLiteral("http"), host)
                            .arg(config.adminPort);
    const QDeadlineTimer deadline(kProbeTimeoutMs);
    QSslSocket socket;
    // Our own server on this host: its certificate names the service, not the loopback address,
    // and a probe has no CA to check it with. The probe sends no secret.
    socket.setPeerVerifyMode(QSslSocket::VerifyNone);
    const auto failed = [&url, &socket](const char *step) {
        std::fprintf(stdout, "health-check: %s -> %s: %s\n", qPrintable(url), step,
            qPrintable(socket.errorString()));
        return 1;
    };
    if (tls)
        socket.connectToHostEncrypted(host, static_cast<quint16>(config.adminPort));
    else
        socket.connectToHost(host, static_cast<quint16>(config.adminPort));
    if (!socket.waitForConnected(static_cast<int>(deadline.remainingTime())))
        return failed("cannot connect");
    if (tls && !socket.waitForEncrypted(static_cast<int>(deadline.remainingTime())))
        return failed("TLS handshake failed");
    socket.write(
        "GET /readyz HTTP/1.1\r\nHost: " + host.toUtf8() + "\r\nConnection: close\r\n\r\n");
    if (!socket.waitForBytesWritten(static_cast<int>(deadline.remainingTime())))
        return failed("cannot send the request");
    const QByteArray answer = readAnswer(socket, deadline);
    // "HTTP/1.1 200 OK": the status is the second word of the first line.
    const QList<QByteArray> statusLine = answer.left(answer.indexOf('\r')).split(' ');
    const int status = statusLine.size() >= 2 ? statusLine[1].toInt() : 0;
    const qsizetype bodyStart = answer.indexOf("\r\n\r\n");
    const QByteArray body = bodyStart >= 0 ? answer.mid(bodyStart + 4).trimmed() : QByteArray();
    std::fprintf(stdout, "health-check: %s -> %d %s\n", qPrintable(url), status, body.constData());
    return status == 200 ? 0 : 1;
}

} // namespace lottery::server
