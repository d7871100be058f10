#include "server/admin/admin_http.h"

#include "common/log.h"

#include <QDateTime>
#include <QUrl>

namespace lottery::server {

namespace {

// A chunk-size line ("1a2b;ext=...") longer than this is not a client's.
constexpr qsizetype kMaxChunkLine = 256;

bool isTokenChar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~': return true;
    default: return false;
    }
}

bool isToken(const QByteArray &text)
{
    if (text.isEmpty())
        return false;
    for (const char c : text) {
        if (!isTokenChar(c))
            return false;
    }
    return true;
}

// Field values: visible ASCII, obs-text, space and tab; no other control character.
bool isFieldValue(const QByteArray &text)
{
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7f)
            return false;
    }
    return true;
}

bool isTarget(const QByteArray &text)
{
    if (text.isEmpty())
        return false;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f)
            return false;
    }
    return true;
}

// The end of the header section: the index just past its empty line, or -1.
qsizetype headEnd(const QByteArray &input)
{
    const qsizetype crlf = input.indexOf("\n\r\n");
    const qsizetype lf = input.indexOf("\n\n");
    if (crlf < 0 && lf < 0)
        return -1;
    if (lf < 0 || (crlf >= 0 && crlf < lf))
        return crlf + 3;
    return lf + 2;
}

QByteArray chopCr(QByteArray line)
{
    if (line.endsWith('\r'))
        line.chop(1);
    return line;
}

// The comma-separated elements of every field of that name, trimmed and lower-cased.
QList<QByteArray> listValues(const AdminHttpRequest &request, const QByteArray &name)
{
    QList<QByteArray> values;
    for (const auto &[key, value] : request.headers) {
        if (key.compare(name, Qt::CaseInsensitive) != 0)
            continue;
        for (const QByteArray &part : value.split(',')) {
            const QByteArray element = part.trimmed().toLower();
            if (!element.isEmpty())
                values.append(element);
        }
    }
    return values;
}

} // namespace

const char *toString(AdminRefusal refusal)
{
    switch (refusal) {
    case AdminRefusal::HeaderTooLarge: return "header_too_large";
    case AdminRefusal::BodyTooLarge: return "body_too_large";
    case AdminRefusal::Malformed: return "malformed";
    case AdminRefusal::RequestTimeout: return "request_timeout";
    case AdminRefusal::IdleTimeout: return "idle_timeout";
    case AdminRefusal::WriteTimeout: return "write_timeout";
    case AdminRefusal::ConnectionLimit: return "connection_limit";
    }
    return "unknown";
}

QByteArray AdminHttpRequest::header(const QByteArray &name) const
{
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return QByteArray();
}

AdminHttpResponse AdminHttpResponse::text(int status, const QByteArray &body)
{
    AdminHttpResponse response;
    response.status = status;
    response.contentType = QByteArrayLiteral("text/plain; charset=utf-8");
    response.body = body;
    return response;
}

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Status";
    }
}

QByteArray serializeResponse(
    const AdminHttpResponse &response, bool headOnly, bool keepAlive, int minorVersion)
{
    QByteArray out;
    out.reserve(512 + (headOnly ? 0 : response.body.size()));
    out += minorVersion == 0 ? "HTTP/1.0 " : "HTTP/1.1 ";
    out += QByteArray::number(response.status);
    out += ' ';
    out += reasonPhrase(response.status);
    out += "\r\n";
    // A browser must not cache counts nor frame the page; the page loads nothing from elsewhere.
    out += "Cache-Control: no-store\r\n"
           "X-Content-Type-Options: nosniff\r\n"
           "X-Frame-Options: DENY\r\n"
           "Referrer-Policy: no-referrer\r\n"
           "Content-Security-Policy: default-src 'self'; img-src 'self' data:; "
           "style-src 'self'; script-src 'self'; frame-ancestors 'none'\r\n";
    if (!response.contentType.isEmpty())
        out += "Content-Type: " + response.contentType + "\r\n";
    out += "Content-Length: " + QByteArray::number(response.body.size()) + "\r\n";
    for (const auto &[name, value] : response.headers)
        out += name + ": " + value + "\r\n";
    if (!keepAlive)
        out += "Connection: close\r\n";
    else if (minorVersion == 0)
        out += "Connection: keep-alive\r\n";
    out += "\r\n";
    if (!headOnly)
        out += response.body;
    return out;
}

HttpRequestReader::Result HttpRequestReader::refuse(
    AdminRefusal refusal, int status, const QByteArray &message)
{
    m_refusal = refusal;
    m_refusalStatus = status;
    m_refusalMessage = message;
    m_phase = Phase::Done;
    return Result::Refused;
}

HttpRequestReader::Result HttpRequestReader::parseHead(QByteArray &input)
{
    // Empty lines before a request line are ignored (RFC 9112, 2.2).
    qsizetype leading = 0;
    while (leading < input.size() && (input[leading] == '\r' || input[leading] == '\n'))
        ++leading;
    if (leading > 0)
        input.remove(0, leading);
    const qsizetype end = headEnd(input);
    // The section: the request line and the fields with their line ends, not the empty line.
    const qsizetype section = end < 0 ? input.size() - 2 : end - (input[end - 2] == '\r' ? 2 : 1);
    if (section > m_limits.maxHeaderBytes) {
        return refuse(AdminRefusal::HeaderTooLarge, 431,
            "request line and header fields over " + QByteArray::number(m_limits.maxHeaderBytes)
                + " bytes");
    }
    if (end < 0)
        return Result::NeedMore;
    const QList<QByteArray> lines = input.left(end).split('\n');
    input.remove(0, end);

    const QList<QByteArray> requestLine = chopCr(lines.value(0)).split(' ');
    if (requestLine.size() != 3 || !isToken(requestLine[0]) || !isTarget(requestLine[1]))
        return refuse(AdminRefusal::Malformed, 400, "not an HTTP request line");
    const QByteArray &version = requestLine[2];
    if (version == "HTTP/1.1") {
        m_request.minorVersion = 1;
    } else if (version == "HTTP/1.0") {
        m_request.minorVersion = 0;
    } else if (version.size() == 8 && version.startsWith("HTTP/")) {
        return refuse(AdminRefusal::Malformed, 505, "only HTTP/1.0 and HTTP/1.1");
    } else {
        return refuse(AdminRefusal::Malformed, 400, "not an HTTP request line");
    }
    m_request.method = requestLine[0];
    m_request.target = requestLine[1];
    const QByteArray &target = m_request.target;
    if (target.startsWith('/')) {
        const qsizetype query = target.indexOf('?');
        m_request.path = QUrl::fromPercentEncoding(query < 0 ? target : target.left(query));
    } else if (target.startsWith("http://") || target.startsWith("https://")) {
        const QUrl url = QUrl::fromEncoded(target);
        m_request.path = url.path().isEmpty() ? QStringLiteral("/") : url.path();
    } else if (target == "*" && m_request.method == "OPTIONS") {
        m_request.path = QStringLiteral("*");
    } else {
        return refuse(AdminRefusal::Malformed, 400, "not a request target");
    }

    // lines: the request line, the fields, the empty line and what follows its '\n' (nothing).
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = chopCr(lines[i]);
        if (line.isEmpty())
            continue; // the end of the section
        if (line.startsWith(' ') || line.startsWith('\t'))
            return refuse(AdminRefusal::Malformed, 400, "obsolete line folding");
        const qsizetype colon = line.indexOf(':');
        const QByteArray name = line.left(colon);
        const QByteArray value = line.mid(colon + 1).trimmed();
        if (colon <= 0 || !isToken(name) || !isFieldValue(value))
            return refuse(AdminRefusal::Malformed, 400, "malformed header field");
        if (m_request.headers.size() >= m_limits.maxHeaderFields) {
            return refuse(AdminRefusal::HeaderTooLarge, 431,
                "more than " + QByteArray::number(m_limits.maxHeaderFields) + " header fields");
        }
        m_request.headers.append({name, value});
    }

    const QList<QByteArray> connection = listValues(m_request, "Connection");
    m_request.keepAlive = m_request.minorVersion == 1 ? !connection.contains("close")
                                                      : connection.contains("keep-alive");

    // The framing of the body: chunked, a length, or none. Both at once is how requests are
    // smuggled past a proxy: refused.
    const QList<QByteArray> codings = listValues(m_request, "Transfer-Encoding");
    const QList<QByteArray> lengths = listValues(m_request, "Content-Length");
    bool chunked = false;
    m_remaining = 0;
    if (!codings.isEmpty()) {
        if (!lengths.isEmpty() || m_request.minorVersion == 0)
            return refuse(AdminRefusal::Malformed, 400, "Transfer-Encoding with Content-Length");
        if (codings != QList<QByteArray> {"chunked"})
            return refuse(AdminRefusal::Malformed, 501, "only the chunked transfer coding");
        chunked = true;
    } else if (!lengths.isEmpty()) {
        for (const QByteArray &length : lengths) {
            bool digits = length == lengths.first() && length.size() <= 18;
            for (const char c : length)
                digits = digits && c >= '0' && c <= '9';
            if (!digits)
                return refuse(AdminRefusal::Malformed, 400, "bad Content-Length");
        }
        m_remaining = lengths.first().toLongLong();
        if (m_remaining > m_limits.maxBodyBytes) {
            return refuse(AdminRefusal::BodyTooLarge, 413,
                "request body over " + QByteArray::number(m_limits.maxBodyBytes) + " bytes");
        }
    }
    const QList<QByteArray> expect = listValues(m_request, "Expect");
    if (!expect.isEmpty()) {
        if (expect != QList<QByteArray> {"100-continue"})
            return refuse(AdminRefusal::Malformed, 417, "only Expect: 100-continue");
        m_continue = m_request.minorVersion == 1 && (chunked || m_remaining > 0);
    }
    m_phase = chunked ? Phase::ChunkSize : (m_remaining > 0 ? Phase::Body : Phase::Done);
    return Result::NeedMore;
}

HttpRequestReader::Result HttpRequestReader::parse(QByteArray &input)
{
    if (m_phase == Phase::Head) {
        const Result head = parseHead(input);
        if (head == Result::Refused || m_phase == Phase::Head)
            return head;
    }
    for (;;) {
        switch (m_phase) {
        case Phase::Head: return Result::NeedMore; // not reached: the head was parsed above
        case Phase::Done: return Result::Complete;
        case Phase::Body: {
            const qsizetype take
                = static_cast<qsizetype>(std::min<qint64>(input.size(), m_remaining));
            m_request.body += input.left(take);
            input.remove(0, take);
            m_remaining -= take;
            if (m_remaining > 0)
                return Result::NeedMore;
            m_phase = Phase::Done;
            break;
        }
        case Phase::ChunkSize: {
            const qsizetype newline = input.indexOf('\n');
            if (newline < 0 || newline > kMaxChunkLine) {
                if (newline < 0 && input.size() <= kMaxChunkLine)
                    return Result::NeedMore;
                return refuse(AdminRefusal::Malformed, 400, "bad chunk size line");
            }
            QByteArray size = chopCr(input.left(newline));
            const qsizetype extension = size.indexOf(';');
            if (extension >= 0)
                size.truncate(extension);
            size = size.trimmed();
            bool ok = size.size() >= 1 && size.size() <= 8;
            const qint64 bytes = ok ? size.toLongLong(&ok, 16) : 0;
            if (!ok)
                return refuse(AdminRefusal::Malformed, 400, "bad chunk size");
            if (m_request.body.size() + bytes > m_limits.maxBodyBytes) {
                return refuse(AdminRefusal::BodyTooLarge, 413,
                    "request body over " + QByteArray::number(m_limits.maxBodyBytes) + " bytes");
            }
            input.remove(0, newline + 1);
            m_remaining = bytes;
            m_phase = bytes == 0 ? Phase::Trailer : Phase::ChunkData;
            break;
        }
        case Phase::ChunkData: {
            const qsizetype take
                = static_cast<qsizetype>(std::min<qint64>(input.size(), m_remaining));
            m_request.body += input.left(take);
            input.remove(0, take);
            m_remaining -= take;
            if (m_remaining > 0)
                return Result::NeedMore;
            m_phase = Phase::ChunkEnd;
            break;
        }
        case Phase::ChunkEnd:
            if (input.startsWith("\r\n")) {
                input.remove(0, 2);
            } else if (input.startsWith('\n')) {
                input.remove(0, 1);
            } else if (input.isEmpty() || input == "\r") {
                return Result::NeedMore;
            } else {
                return refuse(AdminRefusal::Malformed, 400, "chunk data longer than its size");
            }
            m_phase = Phase::ChunkSize;
            break;
        case Phase::Trailer: {
            const qsizetype newline = input.indexOf('\n');
            const qint64 seen = m_trailerBytes + (newline < 0 ? input.size() : newline + 1);
            if (seen > m_limits.maxHeaderBytes) {
                return refuse(AdminRefusal::HeaderTooLarge, 431,
                    "trailer fields over " + QByteArray::number(m_limits.maxHeaderBytes)
                        + " bytes");
            }
            if (newline < 0)
                return Result::NeedMore;
            const bool last = chopCr(input.left(newline)).isEmpty();
            input.remove(0, newline + 1);
            m_trailerBytes = seen; // trailer fields are read and dropped
            if (last)
                m_phase = Phase::Done;
            break;
        }
        }
    }
}

bool HttpRequestReader::takeContinue()
{
    const bool wanted = m_continue && m_phase != Phase::Head && m_phase != Phase::Done;
    if (wanted)
        m_continue = false;
    return wanted;
}

AdminHttpRequest HttpRequestReader::takeRequest()
{
    AdminHttpRequest request = std::move(m_request);
    m_request = AdminHttpRequest();
    m_phase = Phase::Head;
    m_remaining = 0;
    m_trailerBytes = 0;
    m_continue = false;
    return request;
}

bool LogLimiter::allow(quint64 *suppressed)
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    QMutexLocker locker(&m_mutex);
    if (now - m_windowStartMs >= 1000) {
        m_windowStartMs = now;
        m_inWindow = 0;
    }
    if (m_inWindow >= kLinesPerSecond) {
        ++m_suppressed;
        return false;
    }
    ++m_inWindow;
    *suppressed = m_suppressed;
    m_suppressed = 0;
    return true;
}

void LogLimiter::flush()
{
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    quint64 suppressed = 0;
    {
        QMutexLocker locker(&m_mutex);
        if (m_suppressed == 0 || now - m_windowStartMs < 1000)
            return;
        suppressed = m_suppressed;
        m_suppressed = 0;
        m_windowStartMs = now;
        m_inWindow = 1;
    }
    LOTTERY_LOG_FAIL("admin_log")
        .field(u"error",
            QStringLiteral("more admin refusals than %1 a second: %2 lines not written")
                .arg(kLinesPerSecond)
                .arg(suppressed))
        .field(u"suppressed", static_cast<unsigned long long>(suppressed));
}

} // namespace lottery::server
