#include "lottery/agency/bet_file_reader.h"

#include "lottery/agency/agency_csv_row.h"

#include <algorithm>
#include <cstring>
#include <string_view>

namespace lottery::agency {

namespace {

protocol::CivilDate toCivilDate(const QDate &date)
{
    return protocol::CivilDate {date.year(), date.month(), date.day()};
}

bool isBlank(std::string_view line)
{
    for (char c : line) {
        if (c != ' ' && c != '\t')
            return false;
    }
    return true;
}

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// Longest excerpt of a line kept for a message.
constexpr qsizetype kExcerptChars = 80;

QString excerpt(QString text)
{
    if (text.size() > kExcerptChars)
        text = text.left(kExcerptChars - 1) + QChar(0x2026); // …
    return text;
}

// Windows-1252 as Unicode: Latin-1 but for 0x80..0x9F, where it has letters and punctuation
// (the five bytes it leaves undefined shown as U+FFFD).
QString fromWindows1252(std::string_view bytes)
{
    static constexpr char16_t kHigh[32]
        = {0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
            0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD, 0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
            0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};
    QString text;
    text.reserve(static_cast<qsizetype>(bytes.size()));
    for (const char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        text.append(byte >= 0x80 && byte < 0xA0 ? QChar(kHigh[byte - 0x80]) : QChar(byte));
    }
    return text;
}

bool hasNonAscii(std::string_view text)
{
    for (const char c : text) {
        if (static_cast<unsigned char>(c) >= 0x80)
            return true;
    }
    return false;
}

// The fields of a line cut at `separator`, ignoring quotes (a header or a ';' row is judged, not
// read).
QStringList cutAt(std::string_view line, char separator)
{
    return QString::fromUtf8(line.data(), static_cast<qsizetype>(line.size()))
        .split(QLatin1Char(separator));
}

// A column name as a spreadsheet might write it, reduced to lower-case ASCII with '_' between
// words: " Número " -> "numero", "Fecha de nacimiento" -> "fecha_de_nacimiento".
QString columnKey(QString field)
{
    field = field.trimmed();
    if (field.size() >= 2 && field.startsWith(QLatin1Char('"')) && field.endsWith(QLatin1Char('"')))
        field = field.mid(1, field.size() - 2).trimmed();
    QString key;
    for (const QChar c : field.normalized(QString::NormalizationForm_D).toLower()) {
        if (c.isLetterOrNumber() && c.unicode() < 0x80)
            key.append(c);
        else if (c == QLatin1Char(' ') || c == QLatin1Char('-') || c == QLatin1Char('_')
            || c == QLatin1Char('.'))
            key.append(QLatin1Char('_'));
    }
    return key;
}

// The names people give the five columns, in Spanish and English (docs/PROTOCOL.md, 10.9).
bool isColumnName(const QString &key)
{
    static const QStringList kNames {QStringLiteral("nombre"), QStringLiteral("nombres"),
        QStringLiteral("apellido"), QStringLiteral("apellidos"), QStringLiteral("documento"),
        QStringLiteral("dni"), QStringLiteral("nro_documento"), QStringLiteral("nacimiento"),
        QStringLiteral("fecha_nacimiento"), QStringLiteral("fecha_de_nacimiento"),
        QStringLiteral("numero"), QStringLiteral("nro"), QStringLiteral("apuesta"),
        QStringLiteral("name"), QStringLiteral("first_name"), QStringLiteral("firstname"),
        QStringLiteral("last_name"), QStringLiteral("lastname"), QStringLiteral("surname"),
        QStringLiteral("document"), QStringLiteral("birthdate"), QStringLiteral("birth_date"),
        QStringLiteral("date_of_birth"), QStringLiteral("number")};
    return kNames.contains(key);
}

// At least two fields, cut at ',' or at ';', are column names.
bool looksLikeHeader(std::string_view line)
{
    for (const char separator : {',', ';'}) {
        int names = 0;
        for (const QString &field : cutAt(line, separator))
            names += isColumnName(columnKey(field)) ? 1 : 0;
        if (names >= 2)
            return true;
    }
    return false;
}

// Five fields when cut at ';', and not five when cut at ',' (as RFC 4180 reads it).
bool looksSemicolonSeparated(std::string_view line)
{
    if (line.find(';') == std::string_view::npos)
        return false;
    const auto commaFields = splitCsvRecord(line);
    if (commaFields && commaFields->size() == 5)
        return false;
    return std::count(line.begin(), line.end(), ';') == 4;
}

} // namespace

const char *toString(FileConcern concern)
{
    switch (concern) {
    case FileConcern::NotUtf8: return "not_utf8";
    case FileConcern::SemicolonSeparated: return "semicolon_separated";
    case FileConcern::HeaderRow: return "header_row";
    case FileConcern::Empty: return "empty";
    case FileConcern::NoValidRows: return "no_valid_rows";
    case FileConcern::ManyInvalidRows: return "many_invalid_rows";
    }
    return "unknown";
}

QString BetFileCheck::concernNames() const
{
    QStringList names;
    for (const FileConcern concern : concerns)
        names << QLatin1String(toString(concern));
    return names.join(QLatin1Char(','));
}

void BetFileInspector::add(const BetRowView &row)
{
    ++m_rows;
    if (row.isValid())
        ++m_validRows;
    if (hasNonAscii(row.text)) {
        if (protocol::isValidUtf8(row.text)) {
            ++m_utf8Lines;
        } else if (m_check.notUtf8Line == 0) {
            m_check.notUtf8Line = row.line;
            m_check.notUtf8Text = excerpt(fromWindows1252(row.text));
        }
    }
    if (row.isValid())
        return;
    // The first row may be a header; the first data row (the first row, or the one after a
    // header) shows the separator.
    const bool firstRow = m_rows == 1;
    if (firstRow && looksLikeHeader(row.text)) {
        m_check.headerLine = row.line;
        m_check.headerText
            = excerpt(QString::fromUtf8(row.text.data(), static_cast<qsizetype>(row.text.size())));
        return;
    }
    const bool firstDataRow = firstRow || (m_rows == 2 && m_check.headerLine != 0);
    if (firstDataRow && looksSemicolonSeparated(row.text))
        m_check.semicolonLine = row.line;
}

BetFileCheck BetFileInspector::finish() const
{
    BetFileCheck check = m_check;
    check.concerns.clear();
    check.rows = m_rows;
    check.validRows = m_validRows;
    const qint64 invalid = m_rows - m_validRows;
    // Bytes that are not UTF-8 in a file with UTF-8 letters elsewhere are damaged rows (invalid,
    // and counted below), not another encoding.
    if (check.notUtf8Line != 0 && m_utf8Lines == 0)
        check.concerns << FileConcern::NotUtf8;
    if (check.semicolonLine != 0)
        check.concerns << FileConcern::SemicolonSeparated;
    if (check.headerLine != 0)
        check.concerns << FileConcern::HeaderRow;
    if (m_rows == 0)
        check.concerns << FileConcern::Empty;
    else if (m_validRows == 0)
        check.concerns << FileConcern::NoValidRows;
    else if (invalid * 100 > m_rows * BetFileCheck::kInvalidPercent
        && invalid >= BetFileCheck::kInvalidMin)
        check.concerns << FileConcern::ManyInvalidRows;
    return check;
}

BetFileReader::BetFileReader()
{
    // A chunk plus the start of a line (at most kMaxLineBytes and a CR) carried over from the last.
    m_buffer.resize(static_cast<std::size_t>(kChunkBytes + kMaxLineBytes + 2));
}

BetFileReader::~BetFileReader() = default;

void BetFileReader::setToday(const QDate &today)
{
    m_fixedToday = today.isValid();
    if (m_fixedToday)
        m_today = toCivilDate(today);
}

bool BetFileReader::open(const QString &path)
{
    close();
    m_lineNumber = 0;
    m_bytesRead = 0;
    m_hasError = false;
    m_errorString.clear();
    m_begin = m_end = 0;
    m_fileDrained = false;
    m_skippingLongLine = false;
    m_file.setFileName(path);
    // Unbuffered: the reader reads big chunks into its own buffer; a second buffer would only copy.
    if (!m_file.open(QIODevice::ReadOnly | QIODevice::Unbuffered)) {
        m_hasError = true;
        m_errorString = QStringLiteral("cannot open %1: %2").arg(path, m_file.errorString());
        return false;
    }
    // Fixed once per file, so a run that spans midnight judges every row by the same date.
    if (!m_fixedToday)
        m_today = toCivilDate(QDate::currentDate());
    m_atEnd = false;
    return true;
}

// Keeps the counters and any error, so they can still be read after the file is closed.
void BetFileReader::close()
{
    m_file.close();
    m_atEnd = true;
    m_begin = m_end = 0;
}

bool BetFileReader::isOpen() const
{
    return m_file.isOpen();
}

QString BetFileReader::fileName() const
{
    return m_file.fileName();
}

void BetFileReader::fail(const QString &message)
{
    m_hasError = true;
    m_atEnd = true;
    m_errorString = QStringLiteral("error reading %1: %2").arg(m_file.fileName(), message);
}

// Moves the unread bytes to the front of the buffer and reads the next chunk after them.
bool BetFileReader::refill()
{
    const std::size_t unread = m_end - m_begin;
    if (m_begin > 0 && unread > 0)
        std::memmove(m_buffer.data(), m_buffer.data() + m_begin, unread);
    m_begin = 0;
    m_end = unread;
    const qint64 n
        = m_file.read(m_buffer.data() + m_end, static_cast<qint64>(m_buffer.size() - m_end));
    if (n < 0) {
        fail(m_file.errorString());
        return false;
    }
    if (n == 0)
        m_fileDrained = true;
    m_end += static_cast<std::size_t>(n);
    return true;
}

// The next physical line, line ending included, as a view into the buffer. A line longer than
// kMaxLineBytes (not counting its line ending) is consumed to its end without being kept.
bool BetFileReader::readLine(std::string_view &line, bool &tooLong)
{
    tooLong = false;
    if (m_atEnd)
        return false;
    while (true) {
        const char *begin = m_buffer.data() + m_begin;
        const std::size_t available = m_end - m_begin;
        const auto *newline = static_cast<const char *>(std::memchr(begin, '\n', available));
        if (newline != nullptr || (m_fileDrained && (available > 0 || m_skippingLongLine))) {
            const std::size_t length
                = newline != nullptr ? static_cast<std::size_t>(newline - begin) + 1 : available;
            line = std::string_view(begin, length);
            m_begin += length;
            m_bytesRead += static_cast<qint64>(length);
            tooLong = m_skippingLongLine
                || stripLineEnding(line).size() > static_cast<std::size_t>(kMaxLineBytes);
            m_skippingLongLine = false;
            ++m_lineNumber;
            return true;
        }
        if (m_fileDrained) {
            m_atEnd = true;
            return false;
        }
        if (available > static_cast<std::size_t>(kMaxLineBytes) + 1) {
            // Already too long (even allowing for a CR): drop what we have of it and read on.
            m_bytesRead += static_cast<qint64>(available);
            m_begin = m_end;
            m_skippingLongLine = true;
        }
        if (!refill())
            return false;
    }
}

bool BetFileReader::readNextView(BetRowView &row)
{
    if (!m_file.isOpen())
        return false;
    while (true) {
        std::string_view line;
        bool tooLong = false;
        if (!readLine(line, tooLong))
            return false;
        row.line = m_lineNumber;
        row.valid = false;
        row.error.clear();
        row.text = {};
        if (tooLong) {
            row.error = QStringLiteral("line is longer than %1 bytes").arg(kMaxLineBytes);
            return true;
        }
        line = stripLineEnding(line);
        if (m_lineNumber == 1 && line.substr(0, kUtf8Bom.size()) == kUtf8Bom)
            line.remove_prefix(kUtf8Bom.size());
        if (isBlank(line))
            continue;
        row.text = line;
        if (!parseAgencyCsvRow(line, m_scratch, row.bet, m_parseError)) {
            row.error = QString::fromStdString(m_parseError);
            return true;
        }
        if (const auto error = protocol::validateBet(row.bet, m_today)) {
            row.error = QString::fromStdString(error->reason);
            return true;
        }
        row.valid = true;
        return true;
    }
}

bool BetFileReader::readNext(BetRow &row)
{
    BetRowView view;
    if (!readNextView(view))
        return false;
    row.line = view.line;
    row.error = view.error;
    row.bet.reset();
    if (view.valid)
        row.bet = view.bet.toBet();
    return true;
}

bool BetFileReader::atEnd() const
{
    return m_atEnd;
}

bool BetFileReader::hasError() const
{
    return m_hasError;
}

QString BetFileReader::errorString() const
{
    return m_errorString;
}

qint64 BetFileReader::lineNumber() const
{
    return m_lineNumber;
}

qint64 BetFileReader::bytesRead() const
{
    return m_bytesRead;
}

qint64 BetFileReader::fileSize() const
{
    return m_file.size();
}

BetFileScanResult scanBetFile(const QString &path, int maxInvalidKept, const ScanProgress &progress,
    const QDate &today, qint64 maxRows)
{
    BetFileScanResult result;
    BetFileReader reader;
    reader.setToday(today);
    if (!reader.open(path)) {
        result.errorString = reader.errorString();
        return result;
    }
    // Progress is reported every this many rows: often enough for a progress bar, rarely enough
    // to cost nothing.
    constexpr qint64 kProgressEvery = 4096;
    BetRowView row;
    BetFileInspector inspector;
    qint64 rows = 0;
    while (reader.readNextView(row)) {
        if (maxRows >= 0 && rows >= maxRows) {
            result.wholeFile = false; // a row beyond the limit exists
            break;
        }
        inspector.add(row);
        if (row.isValid()) {
            ++result.summary.validRows;
            if (protocol::isWinner(row.bet))
                ++result.summary.winningRows;
        } else {
            ++result.summary.invalidRows;
            if (result.summary.invalid.size() < maxInvalidKept)
                result.summary.invalid.append(InvalidRow {row.line, row.error});
            else
                result.summary.invalidListTruncated = true;
        }
        if (++rows % kProgressEvery == 0 && progress
            && !progress(reader.bytesRead(), reader.fileSize())) {
            result.cancelled = true;
            result.errorString = QStringLiteral("scan of %1 was cancelled").arg(path);
            return result;
        }
    }
    if (reader.hasError()) {
        result.errorString = reader.errorString();
        return result;
    }
    if (progress)
        progress(reader.bytesRead(), reader.fileSize());
    result.summary.check = inspector.finish();
    result.ok = true;
    return result;
}

} // namespace lottery::agency
