// Reading an agency's bet file: one row at a time, in constant memory whatever the file size.
//
// Format (docs/PROTOCOL.md, section 10, the rule; tst_agency_file_format checks this reader
// against its examples): CSV, UTF-8, no header, `first_name,last_name,document,birthdate,number`
// per line, strict RFC 4180 quoting, LF or CRLF line endings, an optional UTF-8 BOM, blank lines
// skipped. Each row comes back with its
// 1-based line number and either a valid bet or the reason it is not one (the CSV shape error of
// parseAgencyCsvLine (agency_csv_row.h) or the rule broken according to protocol::validateBet).
#pragma once

#include "common/csv.h"
#include "lottery/protocol/bet.h"
#include "lottery/protocol/messages.h"

#include <QDate>
#include <QFile>
#include <QList>
#include <QString>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace lottery::agency {

// One non-blank line of the file.
struct BetRow {
    qint64 line = 0; // 1-based line number in the file
    std::optional<protocol::Bet> bet; // set when the row is a valid bet
    QString error; // why the row is not a valid bet, when `bet` is empty

    bool isValid() const { return bet.has_value(); }
};

// The same row with the bet as views into the reader's buffer: no copy of any field. Valid until
// the next read, open() or close() of the reader that filled it.
struct BetRowView {
    qint64 line = 0;
    bool valid = false;
    protocol::BetView bet; // when valid
    QString error; // why the row is not a valid bet, when not valid
    // The line as read, without its line ending (and the BOM on line 1); empty for a line longer
    // than kMaxLineBytes, which is not kept. For BetFileInspector.
    std::string_view text;

    bool isValid() const { return valid; }
};

class BetFileReader
{
public:
    // Longest line kept in memory. A valid row is far shorter (five fields of at most 255 bytes);
    // a longer line is reported invalid and skipped without being buffered.
    static constexpr qint64 kMaxLineBytes = 8192;

    BetFileReader();
    ~BetFileReader();
    BetFileReader(const BetFileReader &) = delete;
    BetFileReader &operator=(const BetFileReader &) = delete;

    // The date birthdates are checked against; a null date (the default) means today's date.
    void setToday(const QDate &today);

    bool open(const QString &path); // false: errorString() says why
    void close(); // keeps lineNumber(), bytesRead() and any error readable
    bool isOpen() const;
    QString fileName() const;

    // Reads the next non-blank line. Returns false at the end of the file or on a read error;
    // hasError() tells them apart.
    bool readNext(BetRow &row);
    // readNext() without copying the bet out of the read buffer (the upload's hot path).
    bool readNextView(BetRowView &row);

    bool atEnd() const;
    bool hasError() const;
    QString errorString() const;

    qint64 lineNumber() const; // line number of the last line read (0 before the first)
    qint64 bytesRead() const; // for progress
    qint64 fileSize() const;

    // Bytes read from the file per read(): lines are cut out of the buffer, not read one by one.
    static constexpr qint64 kChunkBytes = 256 * 1024;

private:
    bool readLine(std::string_view &line, bool &tooLong);
    bool refill();
    void fail(const QString &message);

    QFile m_file;
    std::string m_buffer; // kChunkBytes plus room for a line carried over from the last chunk
    std::size_t m_begin = 0; // first byte not yet returned
    std::size_t m_end = 0; // end of the bytes read
    bool m_fileDrained = false; // read() returned 0: what is in the buffer is all there is
    bool m_skippingLongLine = false; // inside a line longer than kMaxLineBytes, not kept
    CsvRowScratch m_scratch;
    std::string m_parseError;
    qint64 m_lineNumber = 0;
    qint64 m_bytesRead = 0;
    protocol::CivilDate m_today;
    bool m_fixedToday = false;
    bool m_atEnd = true;
    bool m_hasError = false;
    QString m_errorString;
};

struct InvalidRow {
    qint64 line = 0;
    QString reason;

    bool operator==(const InvalidRow &o) const { return line == o.line && reason == o.reason; }
};

// What makes a whole file suspicious: sending it would most likely close the agency's upload
// (DONE) with bets missing or wrong. docs/PROTOCOL.md, section 10.9, gives the rules; agency-cli
// refuses such a file unless told to send it anyway, agency-gui asks. Listed most telling first.
enum class FileConcern {
    NotUtf8, // bytes that are not UTF-8 and no UTF-8 letter anywhere: saved as Windows-1252
    SemicolonSeparated, // the first data row has 5 fields when cut at ';', not at ','
    HeaderRow, // the first row names columns (nombre, apellido, ... or first_name, ...)
    Empty, // no rows at all (blank lines only, or nothing)
    NoValidRows, // rows, none of them valid
    ManyInvalidRows, // more than kInvalidPercent % of the rows invalid, and at least kInvalidMin
};

// "not_utf8", "semicolon_separated", "header_row", "empty", "no_valid_rows", "many_invalid_rows"
// (for the log lines).
const char *toString(FileConcern concern);

struct BetFileCheck {
    // A share of invalid rows above which a file is suspicious: more than 10 % of its rows...
    static constexpr qint64 kInvalidPercent = 10;
    // ...and at least 3 rows, so that one typo in a file of five rows is not.
    static constexpr qint64 kInvalidMin = 3;

    QList<FileConcern> concerns; // in the enum's order; empty: nothing suspicious
    qint64 notUtf8Line = 0; // NotUtf8: the first line that is not UTF-8
    QString notUtf8Text; // that line read as Windows-1252 (at most 80 characters)
    qint64 semicolonLine = 0; // SemicolonSeparated: the row cut at ';'
    qint64 headerLine = 0; // HeaderRow: the row
    QString headerText; // HeaderRow: the row as written (at most 80 characters)
    qint64 rows = 0; // the rows judged (blank lines are not rows)
    qint64 validRows = 0;

    bool isSuspicious() const { return !concerns.isEmpty(); }
    bool has(FileConcern concern) const { return concerns.contains(concern); }
    QString concernNames() const; // "not_utf8,no_valid_rows" (for the log lines)
};

// Judges a whole file from its rows, fed in file order (scanBetFile does it).
class BetFileInspector
{
public:
    void add(const BetRowView &row);
    BetFileCheck finish() const;

private:
    qint64 m_rows = 0;
    qint64 m_validRows = 0;
    qint64 m_utf8Lines = 0; // lines with valid UTF-8 beyond ASCII
    BetFileCheck m_check;
};

struct BetFileSummary {
    qint64 validRows = 0;
    qint64 invalidRows = 0; // all of them, including those not kept in `invalid`
    qint64 winningRows = 0; // valid rows whose number is the winning number
    QList<InvalidRow> invalid; // the first `maxInvalidKept` invalid rows, in file order
    bool invalidListTruncated = false;
    BetFileCheck check; // whether the file as a whole looks wrong
};

struct BetFileScanResult {
    bool ok = false; // false: the file could not be read (errorString), or the scan was stopped
    bool cancelled = false;
    // False when the scan stopped at `maxRows` before the end of the file: the summary is the
    // first rows' only.
    bool wholeFile = true;
    QString errorString;
    BetFileSummary summary;
};

// Called now and then during a scan; return false to stop it.
using ScanProgress = std::function<bool(qint64 bytesRead, qint64 fileSize)>;

// Reads a whole file to preview it (for the GUI), or its first `maxRows` rows (negative: all).
// Constant memory apart from the kept invalid rows. Thread-safe: no shared state, so it may run
// in a worker thread.
BetFileScanResult scanBetFile(const QString &path, int maxInvalidKept = 1000,
    const ScanProgress &progress = {}, const QDate &today = {}, qint64 maxRows = -1);

} // namespace lottery::agency
