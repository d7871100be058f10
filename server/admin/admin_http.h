// The operator console's HTTP/1.1 (docs/ADMIN.md, "Limits"): requests, answers, and the reader
// that bounds a request while it arrives, before any route or token check sees it.
//
// Every answer goes through serializeResponse(), which adds the security headers: 200, 401,
// 404, 405, a refusal (408, 413, 431, 503) and an error alike.
#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QList>
#include <QMutex>
#include <QPair>
#include <QString>

#include <array>

namespace lottery::server {

// What one admin connection may make the server hold or wait for. The console asks with GETs;
// the few requests that change something carry a small body or none.
struct AdminHttpLimits {
    int maxHeaderBytes = 8 * 1024; // request line and header fields (and a chunked trailer)
    int maxHeaderFields = 64;
    int maxBodyBytes = 4 * 1024; // Content-Length or the sum of the chunks
    int requestTimeoutMs = 10000; // from a request's first byte to its last (slowloris)
    int idleTimeoutMs = 15000; // open with no request under way
    int writeTimeoutMs = 10000; // an answer the peer does not read
    int lingerMs = 2000; // after a refusal: reading and dropping, so that the peer reads it
    int maxConnections = 512; // open at once, TLS handshakes included
};

// Why a connection was refused or closed (lottery_admin_requests_refused_total{reason}).
enum class AdminRefusal {
    HeaderTooLarge, // 431
    BodyTooLarge, // 413
    Malformed, // 400, 417, 501, 505
    RequestTimeout, // 408
    IdleTimeout, // closed: no request for idleTimeoutMs
    WriteTimeout, // closed: the answer was not read for writeTimeoutMs
    ConnectionLimit, // 503 (plain HTTP) or closed (TLS): maxConnections open
};
constexpr int kAdminRefusals = 7;
const char *toString(AdminRefusal refusal);

// Counts of the admin thread, for /metrics (read and written in that thread only).
struct AdminHttpStats {
    int connections = 0; // open now, TLS handshakes included
    int maxConnections = 0;
    quint64 requests = 0; // requests read whole and answered by a route
    std::array<quint64, kAdminRefusals> refused {};
};

struct AdminHttpRequest {
    QByteArray method;
    QByteArray target; // as sent
    QString path; // the target's path, percent-decoded
    int minorVersion = 1; // HTTP/1.x
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;
    QHostAddress peer;
    bool keepAlive = true;

    // The first field of that name, whatever its case; empty when absent.
    QByteArray header(const QByteArray &name) const;
};

struct AdminHttpResponse {
    int status = 200;
    QByteArray contentType;
    QByteArray body;
    QList<QPair<QByteArray, QByteArray>> headers; // beside the security headers

    static AdminHttpResponse text(int status, const QByteArray &body);
};

QByteArray reasonPhrase(int status);
// Status line, the security headers, Content-Type/Length, Connection, then the body (none for a
// HEAD). HTTP/1.0 peers get HTTP/1.0 framing.
QByteArray serializeResponse(
    const AdminHttpResponse &response, bool headOnly, bool keepAlive, int minorVersion);

// Reads one request at a time from the front of a byte buffer, refusing as soon as a limit is
// passed: the header section at maxHeaderBytes, a Content-Length above maxBodyBytes before one
// byte of the body is read, a chunked body as soon as its chunks would pass it.
class HttpRequestReader
{
public:
    enum class Result { NeedMore, Complete, Refused };

    explicit HttpRequestReader(const AdminHttpLimits &limits) : m_limits(limits) { }

    // Consumes from the front of `input` what belongs to the current request.
    Result parse(QByteArray &input);
    // After NeedMore: the head asked for `Expect: 100-continue` and the body is still to come;
    // true once per request.
    bool takeContinue();
    // After Complete: the request (the reader starts the next one).
    AdminHttpRequest takeRequest();

    // After Refused.
    AdminRefusal refusal() const { return m_refusal; }
    int refusalStatus() const { return m_refusalStatus; }
    const QByteArray &refusalMessage() const { return m_refusalMessage; }

private:
    enum class Phase { Head, Body, ChunkSize, ChunkData, ChunkEnd, Trailer, Done };

    Result parseHead(QByteArray &input);
    Result refuse(AdminRefusal refusal, int status, const QByteArray &message);

    const AdminHttpLimits m_limits;
    Phase m_phase = Phase::Head;
    AdminHttpRequest m_request;
    qint64 m_remaining = 0; // body or chunk bytes still to come
    qint64 m_trailerBytes = 0;
    bool m_continue = false;
    AdminRefusal m_refusal = AdminRefusal::Malformed;
    int m_refusalStatus = 0;
    QByteArray m_refusalMessage;
};

// At most kLinesPerSecond refusal lines a second for the whole console, from any thread. A line
// that may be written carries how many were dropped before it; flush() writes the count of the
// dropped ones once the second is over and no line came to carry it.
class LogLimiter
{
public:
    static constexpr int kLinesPerSecond = 5;

    // True when a line may be written now; *suppressed: lines dropped since the last one written.
    bool allow(quint64 *suppressed);
    void flush();

private:
    QMutex m_mutex;
    qint64 m_windowStartMs = 0;
    int m_inWindow = 0;
    quint64 m_suppressed = 0;
};

} // namespace lottery::server
