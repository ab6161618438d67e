-- Reader sessions opened through the provider before `oidc_outside` existed counted as the
-- company's whoever the provider vouched for; they end here, and the reader signs in again.
DELETE FROM `reader_sessions` WHERE `method` = 'oidc';
