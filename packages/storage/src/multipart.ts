import { XMLParser } from 'fast-xml-parser';
import type * as Minio from 'minio';

/*
 * Listing unfinished multipart uploads. minio-js's own listing (listIncompleteUploads,
 * removeIncompleteUpload, and the resume lookup inside putObject) always sends `delimiter=`, even
 * empty; OpenStack Swift's S3 API takes the empty delimiter as a real one and answers with one
 * common prefix and no uploads, so nothing is ever found or aborted there. This sends
 * ListMultipartUploads without a delimiter, through minio-js's signed request, and reads the XML
 * with fast-xml-parser (the parser minio-js itself uses).
 */

export interface IncompleteUpload {
  key: string;
  uploadId: string;
  initiated: Date;
}

const parser = new XMLParser({ parseTagValue: false, isArray: (name) => name === 'Upload' });

interface ListResult {
  ListMultipartUploadsResult?: {
    IsTruncated?: string;
    NextKeyMarker?: string;
    NextUploadIdMarker?: string;
    Upload?: { Key?: string; UploadId?: string; Initiated?: string }[];
  };
}

/** Every unfinished upload whose key starts with `prefix` ('' for the whole bucket). */
export async function* listIncompleteUploads(
  client: Minio.Client,
  bucket: string,
  prefix: string,
): AsyncGenerator<IncompleteUpload> {
  let keyMarker = '';
  let uploadIdMarker = '';
  for (;;) {
    const query = [
      'uploads',
      'max-uploads=1000',
      ...(prefix ? [`prefix=${encodeURIComponent(prefix)}`] : []),
      ...(keyMarker ? [`key-marker=${encodeURIComponent(keyMarker)}`] : []),
      ...(uploadIdMarker ? [`upload-id-marker=${encodeURIComponent(uploadIdMarker)}`] : []),
    ].join('&');
    const res = await client.makeRequestAsync({ method: 'GET', bucketName: bucket, query });
    let xml = '';
    for await (const chunk of res as AsyncIterable<Buffer>) xml += chunk.toString('utf8');
    const result = (parser.parse(xml) as ListResult).ListMultipartUploadsResult ?? {};
    const uploads = result.Upload ?? [];
    for (const upload of uploads) {
      if (upload.Key && upload.UploadId) {
        yield { key: upload.Key, uploadId: upload.UploadId, initiated: new Date(upload.Initiated ?? 0) };
      }
    }
    if (result.IsTruncated !== 'true' || uploads.length === 0) return;
    // Swift leaves the Next* markers empty on truncated pages: continue after the last upload seen.
    const last = uploads.at(-1);
    keyMarker = result.NextKeyMarker || last?.Key || '';
    uploadIdMarker = result.NextUploadIdMarker || last?.UploadId || '';
  }
}
