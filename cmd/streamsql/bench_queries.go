package main

// Code generated from /work/shared/nexmark/QUERIES.md (the first statement of
// each query, written as that file gives it); DO NOT EDIT by hand.

// nexmarkQueries maps a query name to its CREATE statement.
var nexmarkQueries = map[string]string{
	"q0": `CREATE MATERIALIZED VIEW nexmark_q0 AS
SELECT auction, bidder, price, date_time, extra
FROM bid;`,
	"q1": `CREATE MATERIALIZED VIEW nexmark_q1 AS
SELECT auction, bidder, 0.908 * price AS price, date_time, extra
FROM bid;`,
	"q2": `CREATE MATERIALIZED VIEW nexmark_q2 AS
SELECT auction, price FROM bid WHERE auction % 123 = 0;`,
	"q3": `CREATE MATERIALIZED VIEW nexmark_q3 AS
SELECT P.name, P.city, P.state, A.id
FROM auction AS A
JOIN person  AS P ON A.seller = P.id
WHERE A.category = 10
  AND P.state IN ('OR', 'ID', 'CA');   -- lower-case 'or','id','ca' with nexmark-rs data`,
	"q4": `CREATE MATERIALIZED VIEW nexmark_q4 AS
SELECT Q.category, avg(Q.final) AS avg_final
FROM (
    SELECT A.id, A.category, max(B.price) AS final
    FROM auction A
    JOIN bid B ON A.id = B.auction
    WHERE B.date_time BETWEEN A.date_time AND A.expires
    GROUP BY A.id, A.category
) Q
GROUP BY Q.category;`,
	"q5": `CREATE MATERIALIZED VIEW nexmark_q5 AS
SELECT AuctionBids.auction, AuctionBids.num
FROM (
    SELECT auction, count(*) AS num, window_start AS starttime, window_end AS endtime
    FROM HOP(bid, date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND)
    GROUP BY auction, window_start, window_end
) AS AuctionBids
JOIN (
    SELECT max(C.num) AS maxn, C.starttime, C.endtime
    FROM (
        SELECT count(*) AS num, window_start AS starttime, window_end AS endtime
        FROM HOP(bid, date_time, INTERVAL '2' SECOND, INTERVAL '10' SECOND)
        GROUP BY auction, window_start, window_end
    ) AS C
    GROUP BY C.starttime, C.endtime
) AS MaxBids
  ON AuctionBids.starttime = MaxBids.starttime
 AND AuctionBids.endtime   = MaxBids.endtime
 AND AuctionBids.num >= MaxBids.maxn;`,
	"q6": `CREATE MATERIALIZED VIEW nexmark_q6 AS
SELECT Q.seller,
       avg(Q.final) OVER (PARTITION BY Q.seller ORDER BY Q.date_time
                          ROWS BETWEEN 10 PRECEDING AND CURRENT ROW) AS avg_price
FROM (
    SELECT A.seller, B.price AS final, B.date_time,
           row_number() OVER (PARTITION BY A.id, A.seller ORDER BY B.price DESC) AS rownum
    FROM auction A
    JOIN bid B ON A.id = B.auction
    WHERE B.date_time BETWEEN A.date_time AND A.expires
) Q
WHERE Q.rownum <= 1;`,
	"q7": `CREATE MATERIALIZED VIEW nexmark_q7 AS
SELECT B.auction, B.price, B.bidder, B.date_time, B.extra
FROM bid B
JOIN (
    SELECT max(price) AS maxprice, window_end AS date_time
    FROM TUMBLE(bid, date_time, INTERVAL '10' SECOND)
    GROUP BY window_start, window_end
) B1 ON B.price = B1.maxprice
WHERE B.date_time BETWEEN B1.date_time - INTERVAL '10' SECOND AND B1.date_time;`,
	"q8": `CREATE MATERIALIZED VIEW nexmark_q8 AS
SELECT P.id, P.name, P.starttime
FROM (
    SELECT id, name, window_start AS starttime, window_end AS endtime
    FROM TUMBLE(person, date_time, INTERVAL '10' SECOND)
    GROUP BY id, name, window_start, window_end
) P
JOIN (
    SELECT seller, window_start AS starttime, window_end AS endtime
    FROM TUMBLE(auction, date_time, INTERVAL '10' SECOND)
    GROUP BY seller, window_start, window_end
) A ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime;`,
	"q9": `CREATE MATERIALIZED VIEW nexmark_q9 AS
SELECT id, item_name, description, initial_bid, reserve, date_time, expires, seller, category, extra,
       auction, bidder, price, bid_date_time, bid_extra
FROM (
    SELECT A.*, B.auction, B.bidder, B.price, B.date_time AS bid_date_time, B.extra AS bid_extra,
           row_number() OVER (PARTITION BY A.id ORDER BY B.price DESC, B.date_time ASC) AS rownum
    FROM auction A
    JOIN bid B ON A.id = B.auction
    WHERE B.date_time BETWEEN A.date_time AND A.expires
) t
WHERE rownum <= 1;`,
	"q10": `CREATE SINK nexmark_q10 AS
SELECT auction, bidder, price, date_time, extra,
       to_char(date_time, 'YYYY-MM-DD') AS dt,
       to_char(date_time, 'HH24:MI')    AS hm
FROM bid
WITH (connector = 'filesystem', path = '/tmp/nexmark_q10', format = 'csv', partition_by = 'dt,hm');`,
	"q11": `CREATE MATERIALIZED VIEW nexmark_q11 AS
SELECT bidder, count(*) AS bid_count, window_start AS starttime, window_end AS endtime
FROM SESSION(bid PARTITION BY bidder, date_time, INTERVAL '10' SECOND)
GROUP BY bidder, window_start, window_end;`,
	"q12": `CREATE MATERIALIZED VIEW nexmark_q12 AS
SELECT bidder, count(*) AS bid_count, window_start AS starttime, window_end AS endtime
FROM TUMBLE(bid, p_time, INTERVAL '10' SECOND)          -- p_time = proctime() column
GROUP BY bidder, window_start, window_end;`,
	"q13": `CREATE MATERIALIZED VIEW nexmark_q13 AS
SELECT B.auction, B.bidder, B.price, B.date_time, S.value
FROM bid B
JOIN side_input FOR SYSTEM_TIME AS OF PROCTIME() AS S
  ON B.auction % 10000 = S.key;`,
	"q14": `CREATE MATERIALIZED VIEW nexmark_q14 AS
SELECT auction, bidder,
       0.908 * price AS price,
       CASE WHEN extract(hour FROM date_time) BETWEEN 8 AND 18 THEN 'dayTime'
            WHEN extract(hour FROM date_time) <= 6 OR extract(hour FROM date_time) >= 20 THEN 'nightTime'
            ELSE 'otherTime' END AS bid_time_type,
       date_time, extra,
       length(extra) - length(replace(extra, 'c', '')) AS c_counts   -- = count_char(extra, 'c')
FROM bid
WHERE 0.908 * price > 1000000 AND 0.908 * price < 50000000;`,
	"q15": `CREATE MATERIALIZED VIEW nexmark_q15 AS
SELECT to_char(date_time, 'YYYY-MM-DD') AS day,
       count(*)                                                                  AS total_bids,
       count(*) FILTER (WHERE price < 10000)                                     AS rank1_bids,
       count(*) FILTER (WHERE price >= 10000 AND price < 1000000)                AS rank2_bids,
       count(*) FILTER (WHERE price >= 1000000)                                  AS rank3_bids,
       count(DISTINCT bidder)                                                    AS total_bidders,
       count(DISTINCT bidder) FILTER (WHERE price < 10000)                       AS rank1_bidders,
       count(DISTINCT bidder) FILTER (WHERE price >= 10000 AND price < 1000000)  AS rank2_bidders,
       count(DISTINCT bidder) FILTER (WHERE price >= 1000000)                    AS rank3_bidders,
       count(DISTINCT auction)                                                   AS total_auctions,
       count(DISTINCT auction) FILTER (WHERE price < 10000)                      AS rank1_auctions,
       count(DISTINCT auction) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_auctions,
       count(DISTINCT auction) FILTER (WHERE price >= 1000000)                   AS rank3_auctions
FROM bid
GROUP BY to_char(date_time, 'YYYY-MM-DD');`,
	"q16": `CREATE MATERIALIZED VIEW nexmark_q16 AS
SELECT channel,
       to_char(date_time, 'YYYY-MM-DD')      AS day,
       max(to_char(date_time, 'HH24:MI'))    AS minute,
       count(*)                                                                  AS total_bids,
       count(*) FILTER (WHERE price < 10000)                                     AS rank1_bids,
       count(*) FILTER (WHERE price >= 10000 AND price < 1000000)                AS rank2_bids,
       count(*) FILTER (WHERE price >= 1000000)                                  AS rank3_bids,
       count(DISTINCT bidder)                                                    AS total_bidders,
       count(DISTINCT bidder) FILTER (WHERE price < 10000)                       AS rank1_bidders,
       count(DISTINCT bidder) FILTER (WHERE price >= 10000 AND price < 1000000)  AS rank2_bidders,
       count(DISTINCT bidder) FILTER (WHERE price >= 1000000)                    AS rank3_bidders,
       count(DISTINCT auction)                                                   AS total_auctions,
       count(DISTINCT auction) FILTER (WHERE price < 10000)                      AS rank1_auctions,
       count(DISTINCT auction) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_auctions,
       count(DISTINCT auction) FILTER (WHERE price >= 1000000)                   AS rank3_auctions
FROM bid
GROUP BY channel, to_char(date_time, 'YYYY-MM-DD');`,
	"q17": `CREATE MATERIALIZED VIEW nexmark_q17 AS
SELECT auction,
       to_char(date_time, 'YYYY-MM-DD') AS day,
       count(*)                                                   AS total_bids,
       count(*) FILTER (WHERE price < 10000)                      AS rank1_bids,
       count(*) FILTER (WHERE price >= 10000 AND price < 1000000) AS rank2_bids,
       count(*) FILTER (WHERE price >= 1000000)                   AS rank3_bids,
       min(price) AS min_price, max(price) AS max_price,
       avg(price) AS avg_price, sum(price) AS sum_price
FROM bid
GROUP BY auction, to_char(date_time, 'YYYY-MM-DD');`,
	"q18": `CREATE MATERIALIZED VIEW nexmark_q18 AS
SELECT auction, bidder, price, channel, url, date_time, extra
FROM (
    SELECT *, row_number() OVER (PARTITION BY bidder, auction
                                 ORDER BY date_time DESC, extra) AS rank_number  -- extra: deterministic tie-break (RW)
    FROM bid
) t
WHERE rank_number <= 1;`,
	"q19": `CREATE MATERIALIZED VIEW nexmark_q19 AS
SELECT * FROM (
    SELECT *, row_number() OVER (PARTITION BY auction ORDER BY price DESC) AS rank_number
    FROM bid
) t
WHERE rank_number <= 10;`,
	"q20": `CREATE MATERIALIZED VIEW nexmark_q20 AS
SELECT B.auction, B.bidder, B.price, B.channel, B.url, B.date_time AS bid_date_time, B.extra AS bid_extra,
       A.item_name, A.description, A.initial_bid, A.reserve, A.date_time AS auction_date_time,
       A.expires, A.seller, A.category, A.extra AS auction_extra
FROM bid AS B
JOIN auction AS A ON B.auction = A.id
WHERE A.category = 10;`,
	"q21": `CREATE MATERIALIZED VIEW nexmark_q21 AS
SELECT auction, bidder, price, channel,
       CASE lower(channel)
            WHEN 'apple'    THEN '0'
            WHEN 'google'   THEN '1'
            WHEN 'facebook' THEN '2'
            WHEN 'baidu'    THEN '3'
            ELSE (regexp_match(url, '(&|^)channel_id=([^&]*)'))[2]
       END AS channel_id
FROM bid
WHERE (regexp_match(url, '(&|^)channel_id=([^&]*)'))[2] IS NOT NULL
   OR lower(channel) IN ('apple', 'google', 'facebook', 'baidu');`,
	"q22": `CREATE MATERIALIZED VIEW nexmark_q22 AS
SELECT auction, bidder, price, channel,
       split_part(url, '/', 4) AS dir1,
       split_part(url, '/', 5) AS dir2,
       split_part(url, '/', 6) AS dir3
FROM bid;`,
}
