#include "common/log.h"

#include <QDateTime>
#include <QMutex>
#include <QMutexLocker>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <iterator>

namespace lottery {

namespace {

std::atomic<int> g_level {static_cast<int>(LogLevel::Info)};
std::atomic<bool> g_outputEnabled {true};

QMutex &outputMutex()
{
    static QMutex mutex;
    return mutex;
}

const char *levelName(LogLevel level)
{
    switch (level) {
    case LogLevel::Debug: return "DEBUG";
    case LogLevel::Info: return "INFO";
    case LogLevel::Warning: return "WARNING";
    case LogLevel::Error: return "ERROR";
    }
    return "INFO";
}

const char *resultName(LogResult result)
{
    switch (result) {
    case LogResult::Success: return "success";
    case LogResult::Fail: return "fail";
    case LogResult::InProgress: return "in_progress";
    }
    return "fail";
}

char sanitizedAscii(char ascii)
{
    return ascii == '|' ? '/' : (ascii == '\n' || ascii == '\r') ? ' ' : ascii;
}

// Appends text as UTF-8, so that a value never breaks the line's grammar: no separators, no
// line breaks. Nearly every key and value is ASCII: those bytes are written straight into the
// line, grown once per value (byte by byte appends were a tenth of the main thread's time with
// ten thousand agencies), with no intermediate QString.
void appendSanitized(QByteArray &out, QStringView text)
{
    const qsizetype start = out.size();
    out.resize(start + text.size());
    char *into = out.data() + start;
    for (const QChar c : text) {
        const char16_t unit = c.unicode();
        if (unit >= 0x80) {
            // Rare (an accented name): the whole value the slow way.
            out.truncate(start);
            QByteArray utf8 = text.toUtf8();
            utf8.replace('|', '/').replace('\n', ' ').replace('\r', ' ');
            out += utf8;
            return;
        }
        *into++ = sanitizedAscii(static_cast<char>(unit));
    }
}

// The same for UTF-8 text (a C string): ASCII goes straight in; anything else is decoded as
// field(QString) would have it, so that both give the same bytes.
void appendSanitized(QByteArray &out, const char *text)
{
    if (!text)
        return; // as QString::fromUtf8(nullptr): empty
    const qsizetype length = static_cast<qsizetype>(std::strlen(text));
    const qsizetype start = out.size();
    out.resize(start + length);
    char *into = out.data() + start;
    for (qsizetype i = 0; i < length; ++i) {
        if (static_cast<unsigned char>(text[i]) >= 0x80) {
            out.truncate(start);
            appendSanitized(out, QString::fromUtf8(text, length));
            return;
        }
        *into++ = sanitizedAscii(text[i]);
    }
}

template<typename Number> void appendNumber(QByteArray &out, Number value)
{
    char digits[24];
    const auto result = std::to_chars(std::begin(digits), std::end(digits), value);
    out.append(digits, result.ptr - digits);
}

// "yyyy-MM-dd HH:mm:ss" of now, formatted once per second per thread: formatting local time
// asks the C library for the time zone (a stat of /etc/localtime per call), which cost one
// system call per log line.
const QByteArray &timestampNow()
{
    thread_local qint64 second = -1;
    thread_local QByteArray text;
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    if (now != second) {
        second = now;
        text = QDateTime::fromSecsSinceEpoch(now).toString(u"yyyy-MM-dd HH:mm:ss").toUtf8();
    }
    return text;
}

struct Burst {
    int depth = 0;
    QByteArray lines;
};

thread_local Burst t_burst;

void writeOut(const QByteArray &bytes)
{
    QMutexLocker locker(&outputMutex());
    std::fwrite(bytes.constData(), 1, static_cast<std::size_t>(bytes.size()), stdout);
    std::fflush(stdout);
}

} // namespace

LogBurst::LogBurst() : m_outermost(t_burst.depth++ == 0) { }

LogBurst::~LogBurst()
{
    --t_burst.depth;
    if (!m_outermost || t_burst.lines.isEmpty())
        return;
    writeOut(t_burst.lines);
    t_burst.lines.clear();
}

std::optional<LogLevel> parseLogLevel(QStringView text)
{
    const QString upper = text.trimmed().toString().toUpper();
    if (upper == u"DEBUG")
        return LogLevel::Debug;
    if (upper == u"INFO")
        return LogLevel::Info;
    if (upper == u"WARNING" || upper == u"WARN")
        return LogLevel::Warning;
    if (upper == u"ERROR" || upper == u"CRITICAL")
        return LogLevel::Error;
    return std::nullopt;
}

QString toString(LogLevel level)
{
    return QString::fromLatin1(levelName(level));
}

void setLogLevel(LogLevel level)
{
    g_level.store(static_cast<int>(level));
}

LogLevel logLevel()
{
    return static_cast<LogLevel>(g_level.load());
}

void setLogOutputEnabled(bool enabled)
{
    g_outputEnabled.store(enabled);
}

LogLine::LogLine(LogLevel level, QStringView action, LogResult result)
    : m_enabled(g_outputEnabled.load() && static_cast<int>(level) >= g_level.load()), m_level(level)
{
    if (!m_enabled)
        return;
    m_text.reserve(160);
    m_text += "action: ";
    appendSanitized(m_text, action);
    m_text += " | result: ";
    m_text += resultName(result);
}

bool LogLine::startField(QStringView key)
{
    if (m_enabled) {
        m_text += " | ";
        appendSanitized(m_text, key);
        m_text += ": ";
    }
    return m_enabled;
}

LogLine &LogLine::field(QStringView key, QStringView value)
{
    if (startField(key))
        appendSanitized(m_text, value);
    return *this;
}

LogLine &LogLine::field(QStringView key, const char *value)
{
    if (startField(key))
        appendSanitized(m_text, value);
    return *this;
}

// The numbers are formatted only for a line that is written (DEBUG lines usually are not).
LogLine &LogLine::field(QStringView key, long long value)
{
    if (startField(key))
        appendNumber(m_text, value);
    return *this;
}

LogLine &LogLine::field(QStringView key, unsigned long long value)
{
    if (startField(key))
        appendNumber(m_text, value);
    return *this;
}

LogLine &LogLine::field(QStringView key, double value)
{
    return m_enabled ? field(key, QString::number(value, 'f', 3)) : *this;
}

LogLine::~LogLine()
{
    if (!m_enabled)
        return;
    const QByteArray &timestamp = timestampNow();
    const char *level = levelName(m_level);
    const auto levelLength = static_cast<qsizetype>(std::strlen(level));
    // "timestamp level text\n", grown once and copied in: appending piece by piece (five
    // appends, two of single characters) was most of a line's cost.
    const auto appendLine = [&](QByteArray &out) {
        const qsizetype start = out.size();
        out.resize(start + timestamp.size() + 1 + levelLength + 1 + m_text.size() + 1);
        char *into = out.data() + start;
        into = std::copy(timestamp.cbegin(), timestamp.cend(), into);
        *into++ = ' ';
        into = std::copy(level, level + levelLength, into);
        *into++ = ' ';
        into = std::copy(m_text.cbegin(), m_text.cend(), into);
        *into = '\n';
    };
    if (t_burst.depth > 0) {
        // Straight into the burst: no line assembled on its own first.
        appendLine(t_burst.lines);
        return;
    }
    QByteArray line;
    appendLine(line);
    writeOut(line);
}

} // namespace lottery
