set terminal pngcairo size 900,560 noenhanced
set output 'scaling.png'
set title 'Appends/s (cumulative) as the store grows, limits off'
set xlabel 'events stored'
set ylabel 'appends/s'
set grid
set key outside right
set logscale x
plot 'scaling.dat' index 0 with linespoints lw 2 title 'sessionlog-rocksdb', 'scaling.dat' index 1 with linespoints lw 2 title 'raw-rocksdb', 'scaling.dat' index 2 with linespoints lw 2 title 'sessionlog-sqlite', 'scaling.dat' index 3 with linespoints lw 2 title 'raw-sqlite'
set terminal pngcairo size 900,560 noenhanced
set output 'replay.png'
set title 'Replay read (last 50) p50 latency by session length'
set xlabel 'events per session'
set ylabel 'µs'
set grid
set key outside right
set logscale x
set logscale y
plot 'replay.dat' index 0 with linespoints lw 2 title 'sessionlog-rocksdb', 'replay.dat' index 1 with linespoints lw 2 title 'sessionlog-sqlite', 'replay.dat' index 2 with linespoints lw 2 title 'raw-sqlite', 'replay.dat' index 3 with linespoints lw 2 title 'ts-sqlite', 'replay.dat' index 4 with linespoints lw 2 title 'sessionlog-memory', 'replay.dat' index 5 with linespoints lw 2 title 'ts-memory'
set terminal pngcairo size 900,560 noenhanced
set output 'fsync.png'
set title 'fsync durability: appends/s by concurrent writers (group commit)'
set xlabel 'writers'
set ylabel 'appends/s'
set grid
set key outside right
set logscale y
plot 'fsync.dat' index 0 with linespoints lw 2 title 'sessionlog-rocksdb-fsync', 'fsync.dat' index 1 with linespoints lw 2 title 'raw-rocksdb-sync'
set terminal pngcairo size 900,560 noenhanced
set output 'appends.png'
set title 'Default workload: appends/s and replay reads/s'
unset xlabel
set ylabel 'per second'
set logscale y
unset logscale x
set style data histograms
set style fill solid 0.8
set xtics rotate by -30
set key top right
plot 'standard.dat' using 3:xtic(2) title 'appends/s', 'standard.dat' using 4 title 'replay reads/s'
