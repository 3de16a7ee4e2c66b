#!/usr/bin/perl
# placeholders_need_data.pl - every placeholder of every chapter must fail on a database
# whose report shows no run: a value that fills without data (a count of nothing, a CASE
# that falls through to its ELSE on NULL, a coalesce() fallback) is a sentence the data did
# not write.
#
#     tests/placeholders_need_data.pl FILL_BINARY EMPTY_DB chapters/*/chapter.md
#
# Each inline {{ ... }} and each {.sql-table} block is filled on its own (so one failure does
# not hide the next); prints the ones that filled and exits 1 if there are any. (Perl: it is
# part of every Debian system, so make check needs nothing more.)
use strict;
use warnings;
use File::Temp qw(tempfile);

my ($fill, $db, @chapters) = @ARGV;
die "usage: $0 FILL DB CHAPTER.md...\n" unless $fill && $db && @chapters;
my (undef, $one) = tempfile(SUFFIX => '.md', UNLINK => 1);
my $bad = 0;

sub line_of { my ($text, $pos) = @_; return 1 + (substr($text, 0, $pos) =~ tr/\n//); }

for my $path (@chapters) {
    open my $in, '<', $path or die "$path: $!\n";
    my $text = do { local $/; <$in> };
    close $in;
    my @items;
    # Table blocks, then blank them (and code spans) out before looking for inline values.
    my $masked = $text;
    while ($text =~ /^(```+)\{\.sql-table[^\n]*\n(.*?)^\1[ \t]*$/msg) {
        push @items, [$-[0], "```{.sql-table}\n$2```\n"];
        substr($masked, $-[0], $+[0] - $-[0]) = ' ' x ($+[0] - $-[0]);
    }
    $masked =~ s/(`[^`\n]*`)/' ' x length($1)/ge;
    while ($masked =~ /(?<!\\)\{\{(.*?)\}\}/sg) {
        push @items, [$-[0], substr($text, $-[0], $+[0] - $-[0])];
    }
    for my $item (sort { $a->[0] <=> $b->[0] } @items) {
        open my $out, '>', $one or die "$one: $!\n";
        print $out $item->[1];
        close $out;
        my $filled = `'$fill' --db '$db' '$one' 2>/dev/null`;
        next if $? != 0;
        $filled =~ s/\s+/ /g;
        printf "%s:%d: fills without data: '%.80s'\n", $path, line_of($text, $item->[0]), $filled;
        $bad++;
    }
}
exit($bad ? 1 : 0);
