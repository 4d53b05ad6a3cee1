module github.com/example/proverbs

go 1.19

require example.com/quote v1.0.0
