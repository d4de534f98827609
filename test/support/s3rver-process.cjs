// s3rver in a process of its own, for TestS3Server (s3-server.ts). Its own process because s3rver makes
// ListObjectsV2 continuation tokens with DES, which OpenSSL 3 offers only with --openssl-legacy-provider,
// and so that an outage is real: killing this process closes every connection at once.
// Arguments: <data directory> <port, 0 = any free one> <bucket>; tells its parent the bound port.
const S3rver = require('s3rver');

const [directory, port, bucket] = process.argv.slice(2);
const server = new S3rver({ port: Number(port), address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: bucket }] });
server.run().then(
  (address) => process.send({ port: address.port }),
  (error) => {
    process.send({ error: String(error) });
    process.exit(1);
  },
);
// The parent went away (a test run killed): do not outlive it.
process.on('disconnect', () => process.exit(0));
